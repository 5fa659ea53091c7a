import type { EmulatorCore } from "./core";
import { errors } from "./errors";
import type { FaultRule } from "./faults";
import { startOperation } from "./lro";
import {
  runEnd,
  runPhases,
  runStatusAt,
  type JsonObject,
  type OperationRecord,
  type RunRecord,
  type TemplateRecord,
} from "./model";

/** What a build provoked to fail reports (the service's packer failure text, shortened). */
export const DEFAULT_BUILD_FAILURE =
  "Failed while waiting for packerizer: Microservice has failed: Failed while processing request: Error when executing packerizer: Packer build command has failed: exit status 1. During the image build, a failure has occurred, please check the customization.log for more information.";

/**
 * Starts a build at `startAt` (now for POST run, the end of provisioning for autoRun). The whole timeline is
 * fixed here: sub-states split the build duration evenly, a build meant to fail ends after Customizing.
 */
export function startRun(
  emu: EmulatorCore,
  t: TemplateRecord,
  startAt: number,
  fault: FaultRule | undefined,
): RunRecord {
  const failMessage = fault?.kind === "failBuild" ? (fault.message ?? DEFAULT_BUILD_FAILURE) : undefined;
  t.runCount += 1;
  t.run = {
    number: t.runCount,
    startedAt: startAt,
    durationMs: emu.timing.buildDurationMs,
    subStates: runPhases(t.properties),
    distribute: structuredClone((t.properties.distribute as JsonObject[] | undefined) ?? []),
    ...(failMessage !== undefined ? { failMessage } : {}),
  };
  return t.run;
}

/** POST run: a build starting now, with an LRO that completes (Succeeded or Failed) when the build ends. */
export function startRunOperation(emu: EmulatorCore, t: TemplateRecord, now: number, fault: FaultRule | undefined) {
  const run = startRun(emu, t, now, fault);
  const end = runEnd(run);
  const op = startOperation(emu.state, {
    subscriptionId: t.subscriptionId,
    location: t.location,
    resourceKey: t.id.toLowerCase(),
    now,
    durationMs: end.at - now,
    outcome: end.state,
    ...(run.failMessage !== undefined ? { error: { code: "BuildFailed", message: run.failMessage } } : {}),
  });
  run.operationId = op.id;
  return op;
}

/** Cancel: Canceling now, Canceled once the LRO duration has passed; the run's own LRO ends Canceled then too. */
export function cancelRun(emu: EmulatorCore, t: TemplateRecord, now: number): OperationRecord {
  const status = t.run ? runStatusAt(t.run, now) : undefined;
  if (!t.run || status?.runState !== "Running") {
    throw errors.operationNotAllowed("cancel/action", t.provisioning.state, status?.runState);
  }
  const completesAt = now + emu.timing.lroDurationMs;
  t.run.cancel = { requestedAt: now, completesAt };
  const runOp = t.run.operationId ? emu.state.operations[t.run.operationId] : undefined;
  if (runOp) {
    runOp.completesAt = completesAt;
    runOp.outcome = "Canceled";
    delete runOp.error;
  }
  return startOperation(emu.state, {
    subscriptionId: t.subscriptionId,
    location: t.location,
    resourceKey: t.id.toLowerCase(),
    now,
    durationMs: emu.timing.lroDurationMs,
  });
}
