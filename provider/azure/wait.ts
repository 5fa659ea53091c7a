import { AsyncLocalStorage } from "node:async_hooks";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import { delay } from "@azure/core-util";

/*
 * The one wait of the provider for things the service does in the background (a build, a cancel, a delete, the SDK's
 * long-running operations), knowing nothing of what it waits for: read, and until the answer says it is over, pause
 * and read again. What to read and who hears of each answer are handed in once, as functions; an AbortSignal ends it
 * (a deadline is AbortSignal.timeout), without another read.
 *
 * The pause is the one the service asks for (Retry-After), else the schedule's: the real Image Builder never sends
 * Retry-After, so the schedule is quick while a change is likely, just after a build, cancel, create or delete
 * started, then backs off to the Azure CLI's 30 s for the hours a Windows build may take. Goals at the default pace: a
 * change shown within 10 s during the first 5 minutes, within 60 s after, at most 150 reads per build-hour over a
 * 4-hour build (ARM throttles reads per principal). bench/poll-pace.ts computes the figures in BENCHMARKS.md from the
 * schedule.
 */

/** The quickest pause at the default pace; AZURE_IMAGEBUILDER_POLL_INTERVAL_MS scales the schedule by itself / this. */
export const DEFAULT_POLL_INTERVAL_MS = 2000;

/** Pauses at the default pace: `pauseMs` until `elapsedMs` (since the wait began) reaches `untilMs`. */
export const SCHEDULE: readonly { untilMs: number; pauseMs: number }[] = [
  // Most template creates (10-40 s) and a run's first change of sub-state (Queued -> Building) fall in here.
  { untilMs: 30_000, pauseMs: 2000 },
  { untilMs: 2 * 60_000, pauseMs: 5000 },
  // 8 s, not 10: the read itself and a retried blip fit in the 10 s goal.
  { untilMs: 5 * 60_000, pauseMs: 8000 },
  { untilMs: Infinity, pauseMs: 30_000 },
];

/** A duration of the default schedule at the pace `intervalMs` (the emulator's env sets 50: 1/40 of every time). */
export function scaled(ms: number, intervalMs: number): number {
  return (ms * intervalMs) / DEFAULT_POLL_INTERVAL_MS;
}

/** The longest timer Node.js keeps: a longer one fires after 1 ms (TimeoutOverflowWarning). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A deadline `minutes` from now, for the waits' abort signal. AbortSignal.timeout takes whole milliseconds only: a
 * fraction of a minute (build.timeoutMinutes 0.1, or what is left of a customTimeouts) gives 6000.000000000001 and it
 * throws; beyond about 24 days it would fire at once, so the deadline stops there (past any build the service allows).
 */
export function deadlineIn(minutes: number): AbortSignal {
  return AbortSignal.timeout(Math.min(Math.ceil(minutes * 60_000), MAX_TIMER_MS));
}

/** The pause before the next read of a wait that began `elapsedMs` ago, at the pace `intervalMs`. */
export function nextPauseMs(elapsedMs: number, intervalMs: number = DEFAULT_POLL_INTERVAL_MS): number {
  const step = SCHEDULE.find((s) => elapsedMs < scaled(s.untilMs, intervalMs)) ?? SCHEDULE[SCHEDULE.length - 1];
  return scaled(step.pauseMs, intervalMs);
}

/** A response as the SDK's `onResponse` callback passes it. */
export interface ResponseHeaders {
  headers: { get(name: string): string | null | undefined };
}

/** Every HTTP-date form (IMF-fixdate and the two obsolete ones) starts with a day name; Date.parse reads all three. */
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /;

/**
 * The delay a Retry-After header asks for, in ms (RFC 9110 §10.2.3: delay-seconds, or an HTTP-date counted from `now`);
 * undefined when absent or unreadable.
 */
export function retryAfterMs(header: string | null | undefined, now: number = Date.now()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  if (!HTTP_DATE.test(value)) return undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The pace of one wait: the schedule's (nextPauseMs, counted from the pace's creation, just before the run, cancel or
 * delete it follows) until a response (a read's, or one of an SDK call given `onResponse`, such as the run or cancel
 * that started what is waited for) carries a positive Retry-After: the service's pace then holds for the later reads.
 */
export class Pace {
  private readonly began = Date.now();
  private askedMs: number | undefined;

  /** `intervalMs`: the schedule's quickest pause (the poll interval setting), which scales all of it. */
  constructor(private readonly intervalMs: number) {}

  /** The SDK's `onResponse` option: adopts the response's Retry-After. */
  readonly onResponse = (response: ResponseHeaders): void => {
    const ms = retryAfterMs(response.headers.get("retry-after"));
    if (ms !== undefined && ms > 0) this.askedMs = ms;
  };

  /** Pauses for the current pace (the service's, else the schedule's); rejects with an AbortError once aborted. */
  pause(abortSignal?: AbortSignal): Promise<void> {
    return delay(this.askedMs ?? nextPauseMs(Date.now() - this.began, this.intervalMs), { abortSignal });
  }
}

/** Failures a read retries at the current pace instead of failing the wait. */
export interface Transient {
  is: (e: unknown) => boolean;
  /** Consecutive transient failures tolerated by one read. */
  max: number;
  /** Told of each one before its retry (a progress line). */
  onRetry: (e: unknown) => void;
}

/** What a poller reads and whom it tells: the functions of the caller it calls back, and nothing else. */
export interface Polled<T> {
  /** One read of the state; `onResponse` is to be given the answer (its Retry-After sets the pace). */
  read: (onResponse: (response: ResponseHeaders) => void) => Promise<T>;
  /** Told of each state `until` reads, the last one included (the progress). */
  onProgress?: (state: T) => Promise<void> | void;
  transient?: Transient;
  /** What a failed read (once no retry is left) is reported as; the read's own error when left out. */
  failure?: (e: unknown) => unknown;
}

/** Reads a state at its pace (a Pace: `onResponse` also takes the Retry-After of the call that started it). */
export class Poller<T> extends Pace {
  constructor(
    intervalMs: number,
    private readonly polled: Polled<T>,
  ) {
    super(intervalMs);
  }

  /** One read now, retrying the transient failures at the current pace. */
  async read(): Promise<T> {
    const { read, transient, failure } = this.polled;
    for (let failures = 0; ;) {
      try {
        return await read(this.onResponse);
      } catch (e) {
        if (transient?.is(e) && ++failures <= transient.max) {
          transient.onRetry(e);
          await this.pause();
          continue;
        }
        throw failure ? failure(e) : e;
      }
    }
  }

  /**
   * Reads until `done` accepts the state, which it returns, telling `onProgress` of each; undefined once `abortSignal`
   * aborts (before a read, or during a pause: no read follows).
   */
  async until(done: (state: T) => boolean, abortSignal?: AbortSignal): Promise<T | undefined> {
    for (;;) {
      if (abortSignal?.aborted) return undefined;
      const state = await this.read();
      await this.polled.onProgress?.(state);
      if (done(state)) return state;
      try {
        await this.pause(abortSignal);
      } catch (e) {
        if (abortSignal?.aborted) return undefined;
        throw e;
      }
    }
  }
}

/** Who wants to see the responses to the requests made in the current async context: the wait of an LRO's polls. */
const responseObserver = new AsyncLocalStorage<(response: ResponseHeaders) => void>();

/**
 * Hands every response to the current context's observer. core-lro sends an operation's polls with no `onResponse`
 * of ours, so this is how their Retry-After reaches the Pace of their wait (untilDone).
 */
export const observeResponses: PipelinePolicy = {
  name: "imagebuilderObserveResponses",
  async sendRequest(request, next) {
    const response = await next(request);
    responseObserver.getStore()?.(response);
    return response;
  },
};

/** What an SDK long-running operation call returns, as far as `untilDone` uses it (core-lro's PollerLike). */
interface LongRunning<T> {
  submitted(): Promise<void>;
  readonly isDone: boolean;
  poll(): Promise<unknown>;
  pollUntilDone(): Promise<T>;
}

/**
 * Starts a long-running operation (a template's create, update or delete, a trigger's) and waits for its result,
 * polling at the pace of the provider's other waits (a Pace: the service's Retry-After, else the schedule) rather than
 * core-lro's fixed interval; core-lro alone also polls once right after the initial response, a request too early.
 * `accepted` runs once the service took the request (an error after that may have left the resource behind).
 */
export async function untilDone<T>(
  c: { pollIntervalMs: number },
  start: (options: { onResponse: (response: ResponseHeaders) => void }) => LongRunning<T>,
  accepted?: () => void,
): Promise<T> {
  const pace = new Pace(c.pollIntervalMs);
  const poller = start({ onResponse: pace.onResponse });
  await poller.submitted();
  accepted?.();
  while (!poller.isDone) {
    await pace.pause();
    await responseObserver.run(pace.onResponse, () => poller.poll());
  }
  // Done: the result, or the operation's error, without another request.
  return poller.pollUntilDone();
}
