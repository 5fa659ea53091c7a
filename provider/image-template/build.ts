import type { ImageTemplate } from "@azure/arm-imagebuilder";
import type { Connection } from "../azure/client";
import { deadlineIn, type Polled, Poller } from "../azure/wait";
import type { ResolvedBuild } from "./build-settings";
import { describeFailure, isNotFound, serviceError } from "../errors";
import { label, type TemplateAddress } from "./address";
import type { BuildProgress } from "./progress";

/*
 * Image builds (the service's `run` action) and the waits around them. The loop of every wait is wait.ts's Poller;
 * this module hands it what to read (the template, riding out the transient failures status reads are known for) and
 * what to do with each answer (the row's status, a line for each transition of the run).
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
/** How long a build canceled on timeout may take to stop. */
const CANCEL_TIMEOUT_MS = 15 * 60_000;

export const isBuildActive = (t: ImageTemplate | undefined): boolean => ACTIVE.has(t?.lastRunStatus?.runState ?? "");

/** Failures a status read may hit and retry: 408/429/5xx, dropped connections, the service's "Internal error occurred". */
export function isTransient(e: unknown): boolean {
  const { status, message } = serviceError(e);
  // No status: the request never got an answer (connection reset, timeout), which core-rest-pipeline reports as RestError.
  if (status === undefined) return (e as { name?: string })?.name === "RestError";
  return status === 408 || status === 429 || status >= 500 || /Internal error occurred/i.test(message);
}

/**
 * A poller of the template, riding out status-read blips (failing an update for one would leave a finished image
 * unrecorded), each told as a line; `progress` also takes each answer's Date header (the service's clock).
 */
function templatePoller(
  c: Connection,
  a: TemplateAddress,
  progress: BuildProgress,
  reporting: Pick<Polled<ImageTemplate>, "onProgress" | "failure"> = {},
): Poller<ImageTemplate> {
  return new Poller(c.pollIntervalMs, {
    read: (onResponse) =>
      c.client.virtualMachineImageTemplates.get(a.resourceGroupName, a.imageTemplateName, {
        onResponse: (response) => {
          progress.onResponse(response);
          onResponse(response);
        },
      }),
    transient: {
      is: isTransient,
      max: MAX_TRANSIENT_FAILURES,
      onRetry: (e) =>
        progress.line(`reading the build status failed (${serviceError(e).message.split("\n")[0]}); retrying`),
    },
    ...reporting,
  });
}

/** Called after every status read while waiting for a build (the log streaming reads at this pace). */
export type OnPoll = (template: ImageTemplate) => Promise<void>;

/**
 * A poller of the template's run: each answer it waits through goes to the row's status, then to `onPoll`, and each
 * runState/runSubState transition is a line.
 */
function runPoller(c: Connection, a: TemplateAddress, progress: BuildProgress, onPoll?: OnPoll): Poller<ImageTemplate> {
  let shown = "";
  return templatePoller(c, a, progress, {
    onProgress: async (t) => {
      progress.observe(t);
      await onPoll?.(t);
      const s = t.lastRunStatus;
      const now = [s?.runState, s?.runSubState].filter(Boolean).join(" - ") || "not started";
      if (now !== shown) {
        shown = now;
        progress.line(`build ${now}`);
      }
    },
    failure: (e) => describeFailure(`Reading the build status of image template "${a.imageTemplateName}"`, e),
  });
}

const isFinal = (t: ImageTemplate): boolean => FINAL.has(t.lastRunStatus?.runState ?? "");

/** The template, riding out status-read blips as a build wait does, or undefined when it is gone. */
export async function readTemplate(
  c: Connection,
  a: TemplateAddress,
  progress: BuildProgress,
): Promise<ImageTemplate | undefined> {
  try {
    return await templatePoller(c, a, progress).read();
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw describeFailure(`Reading image template "${a.imageTemplateName}"`, e);
  }
}

export async function getOrUndefined(c: Connection, a: TemplateAddress): Promise<ImageTemplate | undefined> {
  try {
    return await c.client.virtualMachineImageTemplates.get(a.resourceGroupName, a.imageTemplateName);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw describeFailure(`Reading ${label(a)}`, e);
  }
}

/** Waits, printing its progress, for the build running now to end; undefined when `abortSignal` aborts first. */
export function awaitRunningBuild(
  c: Connection,
  a: TemplateAddress,
  progress: BuildProgress,
  abortSignal: AbortSignal,
): Promise<ImageTemplate | undefined> {
  return runPoller(c, a, progress).until(isFinal, abortSignal);
}

/** Provisioning states a create or update is still working through. */
const PROVISIONING = new Set(["Creating", "Updating"]);

export const isProvisioning = (t: ImageTemplate): boolean => PROVISIONING.has(t.provisioningState ?? "");

/**
 * Waits for a template whose create or update another run started (a killed `pulumi up`) to settle: the service
 * refuses every write until then. Its settled state, or undefined once `abortSignal` aborts.
 */
export async function awaitProvisioning(
  c: Connection,
  a: TemplateAddress,
  progress: BuildProgress,
  abortSignal: AbortSignal,
): Promise<ImageTemplate | undefined> {
  const failure = (e: unknown) => describeFailure(`Reading image template "${a.imageTemplateName}"`, e);
  return templatePoller(c, a, progress, { failure }).until((t) => !isProvisioning(t), abortSignal);
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

/** Throws, before anything is sent, when the template read is not this resource's to write (its ownership marker). */
export type Guard = (template: ImageTemplate) => void;

/** Cancels a running build (tolerating one already canceling) and waits until the run has stopped. */
export async function cancelAndWait(
  c: Connection,
  a: TemplateAddress,
  progress: BuildProgress,
  abortSignal: AbortSignal,
  guard?: Guard,
): Promise<ImageTemplate | undefined> {
  const status = runPoller(c, a, progress);
  const current = await status.read();
  if (current.lastRunStatus?.runState === "Running") {
    guard?.(current);
    progress.line("canceling the running build");
    try {
      // The cancel action completes before the run has stopped (it can sit in Canceling for long): watch the run.
      await c.client.virtualMachineImageTemplates
        .cancel(a.resourceGroupName, a.imageTemplateName, { onResponse: status.onResponse })
        .submitted();
    } catch (e) {
      // Another cancel got there first (or the build just ended): the wait below sees which.
      if (serviceError(e).code !== "OperationNotAllowed") {
        throw describeFailure(`Canceling the build of image template "${a.imageTemplateName}"`, e);
      }
    }
  }
  return isBuildActive(current) ? status.until(isFinal, abortSignal) : current;
}

/** What a build owed may take instead of starting one, and what must hold before a run is sent. */
export interface RunRules {
  /** Checked on the template read before the run is sent. */
  guard?: Guard;
  /**
   * Whether the run recorded on the template is the one owed (an interrupted `up` of this resource started it, or the
   * service did for it): its result is taken, and no other run is started.
   */
  counts?: (template: ImageTemplate) => boolean;
}

/**
 * Runs a build and, per the settings, waits for it. A build already running (started by a previous `pulumi up` that
 * timed out, by autoRun or a trigger) is waited for instead of being refused by the service; a finished one that
 * `rules.counts` accepts is taken as it is.
 */
export async function runBuild(
  c: Connection,
  a: TemplateAddress,
  settings: ResolvedBuild,
  progress: BuildProgress,
  onPoll?: OnPoll,
  rules: RunRules = {},
): Promise<BuildResult> {
  const status = runPoller(c, a, progress, onPoll);
  const timeout = deadlineIn(settings.timeoutMinutes);
  const before = await status.read();
  // A finished run that is the one owed: nothing to send or wait for.
  const finished =
    !isBuildActive(before) && before.lastRunStatus?.runState !== undefined && rules.counts?.(before) === true;
  if (isBuildActive(before)) {
    progress.line(`a build of image template "${a.imageTemplateName}" is already running: waiting for it`);
  } else if (finished) {
    progress.line(
      `the template's last build (${before.lastRunStatus?.runState}, started ${before.lastRunStatus?.startTime?.toISOString()}) is the one owed, started for this resource by an interrupted run or the service: taking its result instead of building again`,
    );
  } else {
    rules.guard?.(before);
    progress.line(`starting an image build of template "${a.imageTemplateName}"`);
    try {
      await c.client.virtualMachineImageTemplates
        .run(a.resourceGroupName, a.imageTemplateName, { onResponse: status.onResponse })
        .submitted();
    } catch (e) {
      throw describeFailure(`Starting a build of image template "${a.imageTemplateName}"`, e);
    }
  }
  if (!settings.waitForCompletion && !finished) {
    progress.line("build started; not waiting for it (build.waitForCompletion is false)");
    return { outcome: "Started", template: await status.read() };
  }
  if (!finished) await status.pause();
  const done = await status.until(isFinal, timeout);
  if (done) {
    const outcome = done.lastRunStatus!.runState as BuildOutcome;
    const succeeded = outcome === "Succeeded" || outcome === "PartiallySucceeded";
    const runOutputs = succeeded ? await listRunOutputs(c, a) : undefined;
    for (const [name, o] of Object.entries(runOutputs ?? {})) {
      progress.line(`run output ${name}: ${o.artifactId ?? o.artifactUri ?? "(no artifact)"}`);
    }
    return { outcome, template: done, runOutputs };
  }
  progress.line(`no result after ${settings.timeoutMinutes} minute(s) (build.timeoutMinutes)`);
  const stopped = settings.cancelOnTimeout
    ? await cancelAndWait(c, a, progress, AbortSignal.timeout(CANCEL_TIMEOUT_MS), rules.guard)
    : undefined;
  return { outcome: "TimedOut", template: stopped ?? (await status.read()) };
}

/*
 * The service refuses every write to a template while it builds (409 OperationNotAllowed "... is not allowed in
 * provisioning state: provisioned or run state: running."). A build the program did not start (autoRun, a trigger,
 * someone in the portal) would otherwise fail the `up` at a moment nobody chose: wait for it, then write.
 */

/** A 409 whose reason is a build in progress (running, or canceling on its way out). */
export function isRefusedWhileBuilding(e: unknown): boolean {
  const { status, message } = serviceError(e);
  return status === 409 && /run ?state: '?(running|canceling)/i.test(message);
}

/**
 * Sends `write`; when the service refuses it because a build runs, says so, waits for that build with its live
 * progress (at most `timeoutMinutes`: the template's build timeout, as `build.timeoutMinutes` resolves it) and sends
 * it again.
 */
export async function afterRunningBuild<T>(
  c: Connection,
  a: TemplateAddress,
  timeoutMinutes: number,
  progress: BuildProgress,
  what: string,
  write: () => Promise<T>,
): Promise<T> {
  try {
    return await write();
  } catch (e) {
    if (!isRefusedWhileBuilding(e)) throw e;
    progress.line(
      `the service refuses ${what} while a build runs: waiting for the build (up to ${timeoutMinutes} minutes)`,
    );
    const done = await awaitRunningBuild(c, a, progress, deadlineIn(timeoutMinutes));
    if (!done) {
      throw new Error(
        `${what} was refused while a build ran, and the build was still running after ${timeoutMinutes} minutes; run pulumi up again once it has finished (or cancel it: az image builder cancel -g ${a.resourceGroupName} -n ${a.imageTemplateName}).`,
      );
    }
    progress.line(`build ${done.lastRunStatus?.runState}; applying ${what}`);
    return write();
  }
}
