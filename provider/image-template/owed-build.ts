import type { ImageTemplate } from "@azure/arm-imagebuilder";
import { expiredStaticToken, identityRightsAdvice } from "../errors";
import type { PropertyBag } from "../property-bag";
import { label, named, type TemplateAddress } from "./address";
import { type BuildResult, type Guard, isBuildActive, runBuild } from "./build";
import { withBuild, historyOf } from "./build-estimate";
import { BuildLog, failureDetails, plannedSteps } from "./build-log";
import { type OperationTimeout, resolveBuild, withinTimeout } from "./build-settings";
import { logProgress } from "./log-progress";
import { markerOf, refusal, standingOf } from "./ownership";
import { type BuildProgress, progressFor } from "./progress";
import { computedFrom, type OwedBuild, outputs, partialFailure } from "./record";
import { withProvider } from "./state";

/* The build stage of a create or update: runs the build it owes and returns the outputs to record. */

/** A guard sending nothing to a template whose marker is not the `recorded` one's (nor a replacement's of it). */
export function ownershipGuard(a: TemplateAddress, recorded: unknown, what: string): Guard {
  return (template) => {
    const refused = refusal(standingOf(markerOf(template), recorded), named(a), recorded, what);
    if (refused) throw new Error(refused);
  };
}

const BUILD_FAILED: Record<string, string> = {
  Failed: "failed",
  Canceled: "was canceled",
  TimedOut: "did not finish in time",
};

/**
 * Runs the build a create or update owes and returns the outputs to store. A build that does not succeed fails the
 * operation with the dynamic provider protocol's partial-state error: the engine records the template (id and
 * these outputs, with buildPending) instead of forgetting it, and the next `pulumi up` retries the build. The wait
 * ends at build.timeoutMinutes, or sooner at the operation's customTimeouts (`timeout`, from a plugin's request).
 */
export async function buildAndRecord(owed: OwedBuild, timeout?: OperationTimeout): Promise<PropertyBag> {
  const progress = progressFor(owed.inputs.hidden, owed.a);
  try {
    return await buildWith(progress, owed, timeout);
  } finally {
    await progress.flush();
  }
}

async function buildWith(
  progress: BuildProgress,
  { c, a, id, inputs, computedBefore, reason, counts }: OwedBuild,
  timeout: OperationTimeout | undefined,
): Promise<PropertyBag> {
  progress.line(`image build requested: ${reason}`);
  // The engine stores exactly these properties (it adds no __provider on errors, and destroy needs it).
  const fail = (message: string, computed: PropertyBag): never =>
    partialFailure(message, id, withProvider({ ...computed, ...outputs(inputs, {}, { buildPending: true }) }, inputs));
  const settings = withinTimeout(resolveBuild(inputs.args), timeout);
  const log = settings.logs === "off" ? undefined : new BuildLog(c, settings.logs, (l) => progress.logLine(l));
  // With the log streaming, the row names the step it is in (log-progress.ts), read at each status read.
  const onPoll =
    log &&
    (async (t: ImageTemplate) => {
      await log.poll(t);
      const steps = plannedSteps(t);
      if (log.textSoFar) progress.observeLog(logProgress(log.textSoFar, steps.customize, steps.validate));
    });
  let result: BuildResult;
  try {
    const guard = ownershipGuard(a, inputs.hidden.ownership, "the build's run");
    result = await runBuild(c, a, settings, progress, onPoll, { guard, counts });
  } catch (e) {
    const expired = expiredStaticToken(e);
    if (!expired) return fail((e as Error).message, computedBefore);
    return fail(
      `Waiting for the image build of ${label(a)} stopped: ${expired.message}. The build goes on in Azure and the template is recorded: run pulumi up again with a fresh token (a new azure-login session) and it waits for this build and records its result; a token request URL, token file, managed identity, certificate or secret renews itself for builds that outlast a token.`,
      computedBefore,
    );
  }
  const start = result.template.lastRunStatus?.startTime;
  if (start instanceof Date) inputs = { ...inputs, hidden: { ...inputs.hidden, builtRunStart: start.toISOString() } };
  const timedOutBy = result.outcome === "TimedOut" ? settings.timeoutBy : undefined;
  const failed = timedOutBy ? `did not finish within its ${timedOutBy}` : BUILD_FAILED[result.outcome];
  if (failed) {
    const status = result.template.lastRunStatus;
    const rights = identityRightsAdvice(status?.message ?? "", inputs.args.identityUserAssignedIdentity?.[0]);
    const detail = status?.message ? `: ${status.message}` : "";
    const next =
      result.outcome === "TimedOut" && isBuildActive(result.template)
        ? "It keeps running; the next pulumi up waits for it"
        : "The template is kept; the next pulumi up runs the build again";
    const report = result.outcome === "Failed" && log ? await log.failure(result.template) : undefined;
    if (report?.advice) progress.line(report.advice);
    const details = report ? failureDetails(report, status?.message ?? "") : { text: "", outputs: {} };
    return fail(
      `The image build of ${label(a)} ${failed} (runState ${status?.runState ?? "unknown"}${detail}). ${rights ?? `${next}.`}${details.text}`,
      { ...computedFrom(inputs.args, result.template), ...details.outputs },
    );
  }
  if (result.outcome === "PartiallySucceeded") {
    progress.line(`build partially succeeded: ${result.template.lastRunStatus?.message ?? ""}`);
  }
  const phases = result.outcome === "Succeeded" ? progress.succeeded(result.template) : undefined;
  const history = phases ? withBuild(historyOf(inputs.hidden.buildHistory), phases) : undefined;
  const recorded = history ? { ...inputs, hidden: { ...inputs.hidden, buildHistory: history } } : inputs;
  return outputs(recorded, result.template, { runOutputs: result.runOutputs, lastBuildLog: log?.url });
}
