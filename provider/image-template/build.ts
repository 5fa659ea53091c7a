import type { ImageTemplate } from "@azure/arm-imagebuilder";
import type { Connection } from "../azure/client";
import type { ResolvedBuild } from "./build-plan";
import { describeFailure, serviceError } from "../errors";
import type { TemplateAddress } from "./mapping";

/*
 * Image builds (the service's `run` action) and the waits around them: poll the template's lastRunStatus at the pace
 * the service asks for (Retry-After), ride out the transient failures it is known for, print each transition.
 */

/** One distribute target's result, keyed by its runOutputName in `runOutputs`. */
export interface RunOutputSummary {
  artifactId?: string;
  artifactUri?: string;
  provisioningState?: string;
}
export type RunOutputs = Record<string, RunOutputSummary>;

export type BuildOutcome = "Succeeded" | "PartiallySucceeded" | "Failed" | "Canceled" | "TimedOut" | "Started";

export interface BuildResult {
  outcome: BuildOutcome;
  /** The template as last read (its lastRunStatus tells the final state). */
  template: ImageTemplate;
  runOutputs?: RunOutputs;
}

const FINAL = new Set(["Succeeded", "PartiallySucceeded", "Failed", "Canceled"]);
const ACTIVE = new Set(["Running", "Canceling"]);
/** Consecutive failed status reads tolerated on top of the SDK's own retries. */
const MAX_TRANSIENT_FAILURES = 10;

export const isBuildActive = (t: ImageTemplate | undefined): boolean => ACTIVE.has(t?.lastRunStatus?.runState ?? "");

/** Failures a status read may hit and retry: 408/429/5xx, dropped connections, the service's "Internal error occurred". */
export function isTransient(e: unknown): boolean {
  const { status, message } = serviceError(e);
  // No status: the request never got an answer (connection reset, timeout), which core-rest-pipeline reports as RestError.
  if (status === undefined) return (e as { name?: string })?.name === "RestError";
  return status === 408 || status === 429 || status >= 500 || /Internal error occurred/i.test(message);
}

const elapsed = (ms: number) => {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
};

/** Progress lines go to stdout: the engine shows a dynamic provider's stdout live (one diagnostic per line). */
export class BuildProgress {
  private readonly started = Date.now();
  constructor(
    private readonly resourceName: string,
    private readonly log: (line: string) => void = console.log,
  ) {}
  line(text: string): void {
    this.log(`[${this.resourceName}] ${text} (${elapsed(Date.now() - this.started)})`);
  }
  /** A line of the build's own log, under the resource's name like packer build's output under the builder's. */
  logLine(text: string): void {
    this.log(`[${this.resourceName}] | ${text}`);
  }
}

/** Reads the template and the pace the service asks for (Retry-After seconds, when sent). */
async function readWithPace(c: Connection, a: TemplateAddress, pace: { ms: number }): Promise<ImageTemplate> {
  return c.client.virtualMachineImageTemplates.get(a.resourceGroupName, a.imageTemplateName, {
    onResponse: (r) => adoptRetryAfter(r.headers.get("retry-after"), pace),
  });
}

function adoptRetryAfter(header: string | undefined | null, pace: { ms: number }): void {
  const seconds = header ? Number(header) : NaN;
  if (Number.isFinite(seconds) && seconds > 0) pace.ms = seconds * 1000;
}

/**
 * Reads the template, retrying transient failures (after the SDK's own retries) at the current pace: a build outlives
 * many blips, and failing the update for one would leave a finished image unrecorded.
 */
async function readTolerant(
  c: Connection,
  a: TemplateAddress,
  progress: BuildProgress,
  pace: { ms: number },
): Promise<ImageTemplate> {
  for (let failures = 0; ;) {
    try {
      return await readWithPace(c, a, pace);
    } catch (e) {
      if (!isTransient(e) || ++failures > MAX_TRANSIENT_FAILURES) {
        throw describeFailure(`Reading the build status of image template "${a.imageTemplateName}"`, e);
      }
      progress.line(`reading the build status failed (${serviceError(e).message.split("\n")[0]}); retrying`);
      await sleep(pace.ms);
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Called after every status read while waiting for a build (the log streaming reads at this pace). */
export type OnPoll = (template: ImageTemplate) => Promise<void>;

/**
 * Polls until the run reaches a final state, or returns undefined once the deadline has passed. Prints every
 * runState/runSubState transition.
 */
async function watch(
  c: Connection,
  a: TemplateAddress,
  progress: BuildProgress,
  deadline: number,
  pace: { ms: number },
  onPoll?: OnPoll,
): Promise<ImageTemplate | undefined> {
  let shown = "";
  for (;;) {
    const t = await readTolerant(c, a, progress, pace);
    await onPoll?.(t);
    const s = t.lastRunStatus;
    const now = [s?.runState, s?.runSubState].filter(Boolean).join(" - ") || "not started";
    if (now !== shown) {
      shown = now;
      progress.line(`build ${now}`);
    }
    if (s?.runState && FINAL.has(s.runState)) return t;
    if (Date.now() + pace.ms > deadline) return undefined;
    await sleep(pace.ms);
  }
}

/** Waits, printing its progress, for the build running now to end; undefined when the deadline passes first. */
export function awaitRunningBuild(c: Connection, a: TemplateAddress, progress: BuildProgress, deadline: number) {
  return watch(c, a, progress, deadline, { ms: c.pollOptions.updateIntervalInMs });
}

/** Run outputs by runOutputName. */
export async function listRunOutputs(c: Connection, a: TemplateAddress): Promise<RunOutputs> {
  const outputs: RunOutputs = {};
  for await (const o of c.client.virtualMachineImageTemplates.listRunOutputs(
    a.resourceGroupName,
    a.imageTemplateName,
  )) {
    if (!o.name) continue;
    outputs[o.name] = Object.fromEntries(
      Object.entries({
        artifactId: o.artifactId,
        artifactUri: o.artifactUri,
        provisioningState: o.provisioningState,
      }).filter(([, v]) => v !== undefined),
    );
  }
  return outputs;
}

/** Cancels a running build (tolerating one already canceling) and waits until the run has stopped. */
export async function cancelAndWait(
  c: Connection,
  a: TemplateAddress,
  progress: BuildProgress,
  deadline: number,
): Promise<ImageTemplate | undefined> {
  const pace = { ms: c.pollOptions.updateIntervalInMs };
  const current = await readTolerant(c, a, progress, pace);
  if (current.lastRunStatus?.runState === "Running") {
    progress.line("canceling the running build");
    try {
      // The cancel action completes before the run has stopped (it can sit in Canceling for long): watch the run.
      await c.client.virtualMachineImageTemplates
        .cancel(a.resourceGroupName, a.imageTemplateName, {
          ...c.pollOptions,
          onResponse: (r) => adoptRetryAfter(r.headers.get("retry-after"), pace),
        })
        .submitted();
    } catch (e) {
      // Another cancel got there first (or the build just ended): the wait below sees which.
      if (serviceError(e).code !== "OperationNotAllowed") {
        throw describeFailure(`Canceling the build of image template "${a.imageTemplateName}"`, e);
      }
    }
  }
  return isBuildActive(current) ? watch(c, a, progress, deadline, pace) : current;
}

/**
 * Runs a build and, per the settings, waits for it. A build already running (started by a previous `pulumi up` that
 * timed out, by autoRun or a trigger) is waited for instead of being refused by the service.
 */
export async function runBuild(
  c: Connection,
  a: TemplateAddress,
  settings: ResolvedBuild,
  progress: BuildProgress,
  onPoll?: OnPoll,
): Promise<BuildResult> {
  const pace = { ms: c.pollOptions.updateIntervalInMs };
  const deadline = Date.now() + settings.timeoutMinutes * 60_000;
  const before = await readTolerant(c, a, progress, pace);
  if (isBuildActive(before)) {
    progress.line(`a build of image template "${a.imageTemplateName}" is already running: waiting for it`);
  } else {
    progress.line(`starting an image build of template "${a.imageTemplateName}"`);
    try {
      await c.client.virtualMachineImageTemplates
        .run(a.resourceGroupName, a.imageTemplateName, {
          ...c.pollOptions,
          onResponse: (r) => adoptRetryAfter(r.headers.get("retry-after"), pace),
        })
        .submitted();
    } catch (e) {
      throw describeFailure(`Starting a build of image template "${a.imageTemplateName}"`, e);
    }
  }
  if (!settings.waitForCompletion) {
    progress.line("build started; not waiting for it (build.waitForCompletion is false)");
    return { outcome: "Started", template: await readTolerant(c, a, progress, pace) };
  }
  await sleep(pace.ms);
  const done = await watch(c, a, progress, deadline, pace, onPoll);
  if (!done) {
    progress.line(`no result after ${settings.timeoutMinutes} minute(s) (build.timeoutMinutes)`);
    const stopped = settings.cancelOnTimeout ? await cancelAndWait(c, a, progress, deadline + 15 * 60_000) : undefined;
    return { outcome: "TimedOut", template: stopped ?? (await readTolerant(c, a, progress, pace)) };
  }
  const outcome = done.lastRunStatus!.runState as BuildOutcome;
  const runOutputs =
    outcome === "Succeeded" || outcome === "PartiallySucceeded" ? await listRunOutputs(c, a) : undefined;
  for (const [name, o] of Object.entries(runOutputs ?? {})) {
    progress.line(`run output ${name}: ${o.artifactId ?? o.artifactUri ?? "(no artifact)"}`);
  }
  return { outcome, template: done, runOutputs };
}
