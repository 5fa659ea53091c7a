import type { EmulatorContext } from "./context";
import { downloadsOf } from "./downloads";
import { errors } from "./errors";
import type { FaultRule } from "./faults";
import { packerFailureMessage } from "./packer-log";
import {
  runEnd,
  runPhases,
  runStatusAt,
  type ErrorInfo,
  type JsonObject,
  type RunRecord,
  type TemplateRecord,
} from "./model";

/**
 * Starts a build at `startAt` (now for POST run, the end of provisioning for autoRun). The whole timeline is
 * fixed here: sub-states split the build duration evenly, a build meant to fail ends after Customizing.
 */
export function startRun(
  ctx: EmulatorContext,
  t: TemplateRecord,
  startAt: number,
  fault: FaultRule | undefined,
): RunRecord {
  t.runCount += 1;
  t.run = {
    number: t.runCount,
    startedAt: startAt,
    durationMs: ctx.timing.buildDurationMs,
    subStates: runPhases(t.properties),
    distribute: structuredClone((t.properties.distribute as JsonObject[] | undefined) ?? []),
    ...(ctx.logShape === "older" ? { logShape: ctx.logShape } : {}),
  };
  const failure = plannedFailure(ctx, t, fault);
  if (failure) planFailure(ctx, t, t.run, failure);
  if (fault?.kind === "partialBuild") planPartialFailure(t.run, fault);
  return t.run;
}

/** How a build fails at one customizer: which, what it prints, and the message the template reports (if given). */
interface StepFailure {
  step: number;
  output?: string[];
  message?: string;
}

/**
 * The failure a build is meant to have: the `failBuild` fault's, else the first customizer whose own checksum is not
 * the downloaded file's (an assumption: no recording shows where the service refuses it; emulator/README.md).
 */
function plannedFailure(
  ctx: EmulatorContext,
  t: TemplateRecord,
  fault: FaultRule | undefined,
): StepFailure | undefined {
  const steps = Array.isArray(t.properties.customize) ? (t.properties.customize as JsonObject[]) : [];
  if (fault?.kind === "failBuild") {
    const named = fault.customizer === undefined ? -1 : steps.findIndex((s) => s.name === fault.customizer);
    return { step: named >= 0 ? named : steps.length - 1, output: fault.output, message: fault.message };
  }
  for (const d of downloadsOf(t.properties).filter((d) => d.list === "customize")) {
    const actual = ctx.downloads.mismatchOf(d);
    if (actual !== undefined) {
      return {
        step: d.index,
        output: [`Checksum verification failed for ${d.uri}: expected ${d.given}, got ${actual}`],
      };
    }
  }
  return undefined;
}

/** A build whose last distribution fails while the others succeed: it ends PartiallySucceeded, that output missing. */
function planPartialFailure(run: RunRecord, fault: FaultRule): void {
  const runOutputName = String(run.distribute[run.distribute.length - 1]?.runOutputName ?? "");
  run.failedDistribution = {
    runOutputName,
    message: fault.message ?? `Distribution of run output "${runOutputName}" failed: the target could not be reached.`,
  };
}

/**
 * A build meant to fail: the customizer that fails, what it prints, and the service's PackerBuildFailed message
 * pointing at the run's log (set again once the run's operation id is known).
 */
function planFailure(ctx: EmulatorContext, t: TemplateRecord, run: RunRecord, failure: StepFailure): ErrorInfo {
  run.failStep = failure.step;
  if (failure.output) run.failOutput = failure.output;
  const error = {
    code: "PackerBuildFailed",
    message: failure.message ?? packerFailureMessage(t, run, ctx.storage.accounts.accountOf(t).name),
  };
  // lastRunStatus.message carries the code too, as the service's does; a message given by the fault is shown as is.
  run.failMessage = failure.message ?? `${error.code}: ${error.message}`;
  return error;
}

/** POST run: a build starting now, with an LRO that completes (Succeeded or Failed) when the build ends. */
export function startRunOperation(ctx: EmulatorContext, t: TemplateRecord, now: number, fault: FaultRule | undefined) {
  const run = startRun(ctx, t, now, fault);
  const end = runEnd(run);
  const op = ctx.repository.startOperation({
    template: t,
    now,
    durationMs: end.at - now,
    // The run action completes once the build has ended; a partly failed distribution shows in lastRunStatus only.
    outcome: end.state === "Failed" ? "Failed" : "Succeeded",
  });
  run.operationId = op.id;
  const failure = plannedFailure(ctx, t, fault);
  if (failure) op.error = planFailure(ctx, t, run, failure);
  return op;
}

/**
 * Cancel: Canceling now, Canceled once the LRO duration has passed; the run's own LRO ends Canceled then too. The
 * cancel itself is no operation to follow: the service answers it 204 without LRO headers.
 */
export function cancelRun(ctx: EmulatorContext, t: TemplateRecord, now: number): void {
  const status = t.run ? runStatusAt(t.run, now) : undefined;
  if (!t.run || status?.runState !== "Running") {
    throw errors.operationNotAllowed("cancel/action", t.provisioning.state, status?.runState);
  }
  const completesAt = now + ctx.timing.lroDurationMs;
  t.run.cancel = { requestedAt: now, completesAt };
  if (t.run.operationId) ctx.repository.cancelOperation(t.run.operationId, completesAt);
}
