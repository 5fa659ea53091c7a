import type { ImageTemplate } from "@azure/arm-imagebuilder";
import type { Connection } from "../azure/client";
import { type ResponseHeaders, Wait } from "../azure/wait";
import type { ResolvedBuild } from "./build-settings";
import { describeFailure, isNotFound, serviceError } from "../errors";
import { label, type TemplateAddress } from "./address";
import { type ResourceLog, resourceLog } from "../engine-log";
import {
  clockText,
  historyOf,
  estimateError,
  expectedLeftMs,
  expectedTotalMs,
  leftText,
  type PhaseSeconds,
  PhaseTimeline,
} from "./build-estimate";
import type { LogProgress } from "./log-progress";

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
  /** A successful build's seconds per phase, as the status reads saw them (the estimate's history). */
  phases?: PhaseSeconds;
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

/** What the row says of each sub-state. */
const SUB_STATE_TEXT: Record<string, string> = {
  Queued: "queued",
  Building: "creating the build VM",
  Customizing: "customizing",
  Optimizing: "optimizing",
  Validating: "validating",
  Distributing: "distributing",
};

/** Where the build log says the build is, where the run's sub-state leaves it open. */
function logStepText(p: LogProgress): string | undefined {
  if (p.step)
    return `${p.step.kind === "customizer" ? "step" : "validation"} ${p.step.number}/${p.step.count} "${p.step.name}" (${p.step.type})`;
  if (p.phase === "deprovisioning") return "deprovisioning the build VM";
  if (p.phase === "finishing") return "capturing the image";
  return undefined;
}

/**
 * One operation's progress on one resource: the row's status (ephemeral, replaced as the build moves: phase, step,
 * elapsed time, the estimate from this resource's previous builds) and lasting lines (transitions, the build log,
 * the outcome) filed under the resource (engine-log.ts; stdout with `[name]` where the engine cannot be reached).
 * Times are the service's: each status read's Date header against the run's startTime.
 */
export class BuildProgress {
  private readonly started = Date.now();
  private readonly out: ResourceLog;
  private readonly timeline = new PhaseTimeline();
  private serviceNow: number | undefined;
  private fromLog: LogProgress | undefined;
  private lastStatus: ImageTemplate | undefined;
  /** The status on the row now: one engine call per change, none for a repeat. */
  private shown: string | undefined;

  constructor(
    resourceName: string,
    urn?: string,
    /** This resource's previous successful builds (state), for the estimate. */
    private readonly history: PhaseSeconds[] = [],
    print?: (line: string) => void,
  ) {
    this.out = resourceLog(resourceName, urn, print);
  }

  /** A lasting line: a diagnostic of the resource. */
  line(text: string): void {
    this.out.diagnostic(`${text} (${clockText(Date.now() - this.started)})`);
  }
  /** A line of the build's own log, marked like packer build's output under the builder's. */
  logLine(text: string): void {
    this.out.diagnostic(`| ${text}`);
  }
  /** What the resource is doing now, on its row until the next status. */
  status(text: string): void {
    if (text === this.shown) return;
    this.shown = text;
    this.out.status(text);
  }
  warn(text: string): void {
    this.out.diagnostic(text, "warning");
  }

  /** The Date header of a status read: the service's clock. */
  readonly onResponse = (response: ResponseHeaders): void => {
    const date = Date.parse(response.headers.get("date") ?? "");
    if (!Number.isNaN(date)) this.serviceNow = date;
  };

  /** A status read of the template while a build runs: the row's status follows. */
  observe(template: ImageTemplate): void {
    this.lastStatus = template;
    const s = template.lastRunStatus;
    const now = this.serviceNow ?? Date.now();
    if (s?.runState === "Running") this.timeline.observe(s.runSubState, now);
    this.showStatus();
  }

  /** What the streamed build log says (build.logs "stream"), read at each status read. */
  observeLog(progress: LogProgress): void {
    this.fromLog = progress;
    this.showStatus();
  }

  private showStatus(): void {
    const s = this.lastStatus?.lastRunStatus;
    if (!s?.runState) return;
    const now = this.serviceNow ?? Date.now();
    const elapsed = s.startTime ? clockText(now - s.startTime.getTime()) : undefined;
    if (s.runState === "Canceling") return this.status(`canceling the build${elapsed ? ` (${elapsed})` : ""}`);
    if (s.runState !== "Running") return;
    const sub = s.runSubState ?? "";
    const inLog = sub === "Customizing" || sub === "Validating";
    const where = [
      SUB_STATE_TEXT[sub] ?? (sub.toLowerCase() || "started"),
      inLog && this.fromLog ? logStepText(this.fromLog) : undefined,
    ];
    const sinceMs = this.timeline.sinceMs(sub, s.startTime?.getTime(), now);
    const left = sinceMs === undefined ? undefined : expectedLeftMs(this.history, sub, sinceMs);
    const times = [elapsed, left === undefined ? undefined : leftText(left)].filter(Boolean).join(", ");
    this.status(`building: ${where.filter(Boolean).join(", ")}${times ? ` (${times})` : ""}`);
  }

  /** A successful build's phase durations (for the history), with a line on how far off the estimate was. */
  succeeded(template: ImageTemplate): PhaseSeconds | undefined {
    const s = template.lastRunStatus;
    if (!s?.startTime || !s.endTime) return undefined;
    const [start, end] = [s.startTime.getTime(), s.endTime.getTime()];
    const phases = this.timeline.durations(start, end);
    const expected = expectedTotalMs(this.history);
    const against =
      expected === undefined
        ? "no estimate: no earlier successful build of this resource"
        : estimateError(expected, end - start);
    this.out.diagnostic(`image built in ${clockText(end - start)} (${against})`);
    return Object.keys(phases).length > 0 ? phases : undefined;
  }

  /** Every line so far has reached the engine. */
  flush(): Promise<void> {
    return this.out.flush();
  }
}

/**
 * URNs this run's program declared: check sees every resource the program declares, in this provider process, before
 * the engine creates, updates or replaces it. A URN read from state (delete, refresh) can be stale: a stack renamed,
 * an alias taken, a resource removed from the program; lines sent there would open a phantom row. So a URN counts
 * only once this run's program declared it; otherwise (destroy, refresh, a removed resource) lines go to stdout.
 */
const declaredUrns = new Set<string>();

/** Check saw the program declare this URN. */
export const declareUrn = (urn: string): void => void declaredUrns.add(urn);

/** The progress of one operation on the resource whose provider's keys are `hidden`. */
export function progressFor(
  hidden: { urn?: string; pulumiName?: string; buildHistory?: unknown },
  a: TemplateAddress,
): BuildProgress {
  const { urn, pulumiName, buildHistory } = hidden;
  const declared = urn !== undefined && declaredUrns.has(urn) ? urn : undefined;
  return new BuildProgress(pulumiName ?? a.imageTemplateName, declared, historyOf(buildHistory));
}

/** A wait on the template's lastRunStatus: at the service's pace, riding out a build's many blips in status reads. */
function statusWait(c: Connection, progress: BuildProgress): Wait {
  return new Wait(c.pollIntervalMs, {
    is: isTransient,
    max: MAX_TRANSIENT_FAILURES,
    onRetry: (e) =>
      progress.line(`reading the build status failed (${serviceError(e).message.split("\n")[0]}); retrying`),
  });
}

/** A status read; `progress` also sees each answer (its Date header is the service's clock). */
const getTemplate =
  (c: Connection, a: TemplateAddress, progress?: BuildProgress) =>
  (onResponse: (response: ResponseHeaders) => void): Promise<ImageTemplate> =>
    c.client.virtualMachineImageTemplates.get(a.resourceGroupName, a.imageTemplateName, {
      onResponse: (response) => {
        progress?.onResponse(response);
        onResponse(response);
      },
    });

const statusReadFailure = (a: TemplateAddress, e: unknown) =>
  describeFailure(`Reading the build status of image template "${a.imageTemplateName}"`, e);

/** Reads the template (failing the update for one blip would leave a finished image unrecorded). */
async function readStatus(c: Connection, a: TemplateAddress, wait: Wait): Promise<ImageTemplate> {
  try {
    return await wait.read(getTemplate(c, a));
  } catch (e) {
    throw statusReadFailure(a, e);
  }
}

/** The template, riding out status-read blips as a build wait does, or undefined when it is gone. */
export async function readTemplate(
  c: Connection,
  a: TemplateAddress,
  progress: BuildProgress,
): Promise<ImageTemplate | undefined> {
  try {
    return await statusWait(c, progress).read(getTemplate(c, a));
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

/** Called after every status read while waiting for a build (the log streaming reads at this pace). */
export type OnPoll = (template: ImageTemplate) => Promise<void>;

/**
 * Polls until the run reaches a final state, or returns undefined once `abortSignal` aborts (a deadline). Prints every
 * runState/runSubState transition.
 */
async function watch(
  c: Connection,
  a: TemplateAddress,
  progress: BuildProgress,
  wait: Wait,
  abortSignal: AbortSignal,
  onPoll?: OnPoll,
): Promise<ImageTemplate | undefined> {
  let shown = "";
  const onRead = async (t: ImageTemplate) => {
    progress.observe(t);
    await onPoll?.(t);
    const s = t.lastRunStatus;
    const now = [s?.runState, s?.runSubState].filter(Boolean).join(" - ") || "not started";
    if (now !== shown) {
      shown = now;
      progress.line(`build ${now}`);
    }
  };
  try {
    return await wait.until(getTemplate(c, a, progress), (t) => FINAL.has(t.lastRunStatus?.runState ?? ""), {
      abortSignal,
      onRead,
    });
  } catch (e) {
    throw statusReadFailure(a, e);
  }
}

/** Waits, printing its progress, for the build running now to end; undefined when `abortSignal` aborts first. */
export function awaitRunningBuild(
  c: Connection,
  a: TemplateAddress,
  progress: BuildProgress,
  abortSignal: AbortSignal,
) {
  return watch(c, a, progress, statusWait(c, progress), abortSignal);
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
  try {
    return await statusWait(c, progress).until(getTemplate(c, a), (t) => !isProvisioning(t), { abortSignal });
  } catch (e) {
    throw describeFailure(`Reading image template "${a.imageTemplateName}"`, e);
  }
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
  const wait = statusWait(c, progress);
  const current = await readStatus(c, a, wait);
  if (current.lastRunStatus?.runState === "Running") {
    guard?.(current);
    progress.line("canceling the running build");
    try {
      // The cancel action completes before the run has stopped (it can sit in Canceling for long): watch the run.
      await c.client.virtualMachineImageTemplates
        .cancel(a.resourceGroupName, a.imageTemplateName, { onResponse: wait.onResponse })
        .submitted();
    } catch (e) {
      // Another cancel got there first (or the build just ended): the wait below sees which.
      if (serviceError(e).code !== "OperationNotAllowed") {
        throw describeFailure(`Canceling the build of image template "${a.imageTemplateName}"`, e);
      }
    }
  }
  return isBuildActive(current) ? watch(c, a, progress, wait, abortSignal) : current;
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
 * For a build an update owes: a run that started after the one the state recorded counts (an interrupted update of
 * this resource started it, or the service did), once the change it builds is on the template.
 */
export function runAfter(
  old: { hidden: { builtRunStart?: string }; computed: Record<string, unknown> },
  applied: boolean,
): RunRules["counts"] {
  const since = old.hidden.builtRunStart ?? old.computed.lastRunStatusStartTime;
  const recorded = typeof since === "string" ? Date.parse(since) : -Infinity;
  return (t) => applied && (t.lastRunStatus?.startTime?.getTime() ?? -Infinity) > recorded;
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
  const wait = statusWait(c, progress);
  const timeout = AbortSignal.timeout(settings.timeoutMinutes * 60_000);
  const before = await readStatus(c, a, wait);
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
        .run(a.resourceGroupName, a.imageTemplateName, { onResponse: wait.onResponse })
        .submitted();
    } catch (e) {
      throw describeFailure(`Starting a build of image template "${a.imageTemplateName}"`, e);
    }
  }
  if (!settings.waitForCompletion && !finished) {
    progress.line("build started; not waiting for it (build.waitForCompletion is false)");
    return { outcome: "Started", template: await readStatus(c, a, wait) };
  }
  if (!finished) await wait.pause();
  const done = await watch(c, a, progress, wait, timeout, onPoll);
  if (!done) {
    progress.line(`no result after ${settings.timeoutMinutes} minute(s) (build.timeoutMinutes)`);
    const stopped = settings.cancelOnTimeout
      ? await cancelAndWait(c, a, progress, AbortSignal.timeout(CANCEL_TIMEOUT_MS), rules.guard)
      : undefined;
    return { outcome: "TimedOut", template: stopped ?? (await readStatus(c, a, wait)) };
  }
  const outcome = done.lastRunStatus!.runState as BuildOutcome;
  const succeeded = outcome === "Succeeded" || outcome === "PartiallySucceeded";
  const runOutputs = succeeded ? await listRunOutputs(c, a) : undefined;
  for (const [name, o] of Object.entries(runOutputs ?? {})) {
    progress.line(`run output ${name}: ${o.artifactId ?? o.artifactUri ?? "(no artifact)"}`);
  }
  const phases = outcome === "Succeeded" ? progress.succeeded(done) : undefined;
  return { outcome, template: done, runOutputs, ...(phases ? { phases } : {}) };
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
    const done = await awaitRunningBuild(c, a, progress, AbortSignal.timeout(timeoutMinutes * 60_000));
    if (!done) {
      throw new Error(
        `${what} was refused while a build ran, and the build was still running after ${timeoutMinutes} minutes; run pulumi up again once it has finished (or cancel it: az image builder cancel -g ${a.resourceGroupName} -n ${a.imageTemplateName}).`,
      );
    }
    progress.line(`build ${done.lastRunStatus?.runState}; applying ${what}`);
    return write();
  }
}
