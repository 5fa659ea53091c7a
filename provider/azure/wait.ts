import { AsyncLocalStorage } from "node:async_hooks";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import { delay } from "@azure/core-util";
import { nextPauseMs } from "./pace";

/*
 * The one wait of the provider for things the service does in the background (a build, a cancel, a delete): read, and
 * until the answer says it is over, pause at the pace the service asks for (else at the schedule's pace for the time
 * waited so far) and read again. An AbortSignal ends it (a deadline is AbortSignal.timeout), without another read.
 */

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

/** Failures a read retries at the current pace instead of failing the wait. */
export interface Transient {
  is: (e: unknown) => boolean;
  /** Consecutive transient failures tolerated by one read. */
  max: number;
  /** Told of each one before its retry (a progress line). */
  onRetry: (e: unknown) => void;
}

/**
 * One wait: its pace is the schedule's (nextPauseMs, counted from the wait's creation, just before the run, cancel or
 * delete it follows) until a response (a read's, or one of an SDK call given `onResponse`, such as the run or cancel
 * that started what is waited for) carries a positive Retry-After: the service's pace then holds for the later reads.
 */
export class Wait {
  private readonly began = Date.now();
  private askedMs: number | undefined;

  /** `intervalMs`: the schedule's quickest pause (the poll interval setting), which scales all of it. */
  constructor(
    private readonly intervalMs: number,
    private readonly transient?: Transient,
  ) {}

  /** The SDK's `onResponse` option: adopts the response's Retry-After. */
  readonly onResponse = (response: ResponseHeaders): void => {
    const ms = retryAfterMs(response.headers.get("retry-after"));
    if (ms !== undefined && ms > 0) this.askedMs = ms;
  };

  /** The pause before the next read: the service's, else the schedule's for the time waited so far. */
  private paceMs(): number {
    return this.askedMs ?? nextPauseMs(Date.now() - this.began, this.intervalMs);
  }

  /** Pauses for the current pace; rejects with an AbortError once `abortSignal` aborts. */
  pause(abortSignal?: AbortSignal): Promise<void> {
    return delay(this.paceMs(), { abortSignal });
  }

  /** One read (given this wait's `onResponse`), retrying the transient failures at the current pace. */
  async read<T>(read: (onResponse: (response: ResponseHeaders) => void) => Promise<T>): Promise<T> {
    for (let failures = 0; ;) {
      try {
        return await read(this.onResponse);
      } catch (e) {
        if (!this.transient?.is(e) || ++failures > this.transient.max) throw e;
        this.transient.onRetry(e);
        await this.pause();
      }
    }
  }

  /**
   * Reads until `done` accepts the answer, which it returns, calling `onRead` after each read; undefined once
   * `abortSignal` aborts (before a read, or during a pause: no read follows).
   */
  async until<T>(
    read: (onResponse: (response: ResponseHeaders) => void) => Promise<T>,
    done: (value: T) => boolean,
    options: { abortSignal?: AbortSignal; onRead?: (value: T) => Promise<void> | void } = {},
  ): Promise<T | undefined> {
    const { abortSignal, onRead } = options;
    for (;;) {
      if (abortSignal?.aborted) return undefined;
      const value = await this.read(read);
      await onRead?.(value);
      if (done(value)) return value;
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
 * of ours, so this is how their Retry-After reaches the wait that paces them (untilDone).
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
 * polling at the pace of the provider's other waits (a Wait: the service's Retry-After, else the schedule) rather than
 * core-lro's fixed interval; core-lro alone also polls once right after the initial response, a request too early.
 * `accepted` runs once the service took the request (an error after that may have left the resource behind).
 */
export async function untilDone<T>(
  c: { pollIntervalMs: number },
  start: (options: { onResponse: (response: ResponseHeaders) => void }) => LongRunning<T>,
  accepted?: () => void,
): Promise<T> {
  const wait = new Wait(c.pollIntervalMs);
  const poller = start({ onResponse: wait.onResponse });
  await poller.submitted();
  accepted?.();
  while (!poller.isDone) {
    await wait.pause();
    await responseObserver.run(wait.onResponse, () => poller.poll());
  }
  // Done: the result, or the operation's error, without another request.
  return poller.pollUntilDone();
}
