/**
 * The emulator's persisted state and the pure, clock-driven rules that derive what a resource looks like "now".
 *
 * Every timed transition (LRO completion, build phases, cancel, delete) is stored as a timestamp rather than driven
 * by timers: views are computed from the clock when read. That makes the hot path cheap (no writes for state
 * changes nobody observes), keeps behaviour identical across a restart, and needs no background work.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export type ProvisioningState = "Creating" | "Updating" | "Succeeded" | "Failed" | "Deleting" | "Canceled";
export type RunState = "Running" | "Canceling" | "Succeeded" | "PartiallySucceeded" | "Failed" | "Canceled";
export type RunSubState = "Queued" | "Building" | "Customizing" | "Optimizing" | "Validating" | "Distributing";

export interface ErrorInfo {
  code: string;
  message: string;
}

/** A provisioning state that may be in transition: `state` until `until`, then `then` ("Gone" = deleted). */
export interface Provisioning {
  state: ProvisioningState;
  until?: number;
  then?: "Succeeded" | "Failed" | "Gone";
  error?: { provisioningErrorCode: string; message: string };
}

export interface RunRecord {
  /** The run LRO (absent for autoRun builds). */
  operationId?: string;
  number: number;
  startedAt: number;
  durationMs: number;
  subStates: RunSubState[];
  /** Set when the build is meant to fail (fault `failBuild`). */
  failMessage?: string;
  /** Index in `customize` of the step that fails, and what it prints (fault `failBuild`). */
  failStep?: number;
  failOutput?: string[];
  /** Set when a distribution fails and the others succeed (fault `partialBuild`): the run ends PartiallySucceeded. */
  failedDistribution?: { runOutputName: string; message: string };
  cancel?: { requestedAt: number; completesAt: number };
  /** Distribute targets as they were when the run started. */
  distribute: JsonObject[];
  /** The shape of the run's customization.log (absent: "recent"). */
  logShape?: "recent" | "older";
}

export interface TemplateRecord {
  id: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  tags?: JsonObject;
  identity: JsonObject;
  /** The caller's properties, without read-only fields. */
  properties: JsonObject;
  systemData: JsonObject;
  provisioning: Provisioning;
  exactStagingResourceGroup: string;
  /** Its staging group's storage account (storage-accounts.ts); state written before it had none. */
  stagingAccount?: string;
  /**
   * The SHA-256 the service computed at creation for each step that downloads a file and gave no checksum, by step
   * ("customize/0", "validate.inVMValidations/1"); reported once provisioned.
   */
  checksums?: Record<string, string>;
  run?: RunRecord;
  runCount: number;
}

export interface TriggerRecord {
  id: string;
  name: string;
  templateKey: string;
  properties: JsonObject;
  systemData: JsonObject;
  createdAt: string;
  provisioning: Provisioning;
}

export interface OperationRecord {
  id: string;
  subscriptionId: string;
  location: string;
  resourceKey: string;
  startTime: string;
  completesAt: number;
  outcome: "Succeeded" | "Failed" | "Canceled";
  error?: ErrorInfo;
}

export interface EmulatorState {
  version: 1;
  templates: Record<string, TemplateRecord>;
  triggers: Record<string, TriggerRecord>;
  operations: Record<string, OperationRecord>;
  /**
   * Document-wide settings, kept as records so the journal writes them like any other: `clock.offsetMs` is how far the
   * emulator's clock runs ahead of the machine's (admin `POST /clock`), kept so a restart keeps its time.
   */
  settings: { clock?: { offsetMs: number } };
}

export const emptyState = (): EmulatorState => ({
  version: 1,
  templates: {},
  triggers: {},
  operations: {},
  settings: {},
});

export function parseState(raw: unknown): EmulatorState {
  const s = raw as Partial<EmulatorState>;
  if (s?.version !== 1 || typeof s.templates !== "object" || typeof s.operations !== "object") {
    throw new Error("unrecognised state file format");
  }
  return {
    version: 1,
    templates: s.templates,
    triggers: s.triggers ?? {},
    operations: s.operations,
    settings: s.settings ?? {},
  };
}

/** What the service reports but ignores when a client echoes it back from a GET. */
const READ_ONLY_PROPERTIES = ["provisioningState", "provisioningError", "lastRunStatus", "exactStagingResourceGroup"];

/** Drops read-only fields a client may echo back from a GET; the service ignores them. */
export function writableProperties(properties: JsonObject): JsonObject {
  const out: JsonObject = { ...properties };
  for (const k of READ_ONLY_PROPERTIES) delete out[k];
  if (out.source && typeof out.source === "object") {
    const source = { ...(out.source as JsonObject) };
    delete source.exactVersion;
    out.source = source;
  }
  return out;
}

export function writableIdentity(identity: JsonObject): JsonObject {
  const uais = identity.userAssignedIdentities as JsonObject | undefined;
  if (!uais) return { type: identity.type };
  return { type: identity.type, userAssignedIdentities: Object.fromEntries(Object.keys(uais).map((k) => [k, {}])) };
}

/** ARM ids are case-insensitive; records are keyed by the lower-cased id. */
export const keyOf = (id: string) => id.toLowerCase();

/** Applies a due provisioning transition. Returns false when the resource is gone. */
export function settleProvisioning(p: Provisioning, now: number): boolean {
  if (p.until === undefined || now < p.until) return true;
  if (p.then === "Gone") return false;
  p.state = p.then ?? "Succeeded";
  delete p.until;
  delete p.then;
  return true;
}

export interface RunStatus {
  runState: RunState;
  runSubState?: RunSubState;
  startTime: string;
  endTime: string;
  message: string;
}

/** The `endTime` the service reports while a run is Running or Canceling: .NET's DateTime.MinValue. */
export const NOT_ENDED = "0001-01-01T00:00:00Z";

/** Sub-states a run goes through, per the template's optional phases. */
export function runPhases(properties: JsonObject): RunSubState[] {
  const phases: RunSubState[] = ["Queued", "Building", "Customizing"];
  if (properties.optimize) phases.push("Optimizing");
  if (properties.validate) phases.push("Validating");
  phases.push("Distributing");
  return phases;
}

/** When (and how) a run ends if nobody cancels it; a failing build stops at the end of Customizing. */
export function runEnd(run: RunRecord): { at: number; state: "Succeeded" | "PartiallySucceeded" | "Failed" } {
  const slice = run.durationMs / run.subStates.length;
  if (run.failMessage !== undefined) {
    return { at: run.startedAt + slice * (run.subStates.indexOf("Customizing") + 1), state: "Failed" };
  }
  return { at: run.startedAt + run.durationMs, state: run.failedDistribution ? "PartiallySucceeded" : "Succeeded" };
}

/** The run's `lastRunStatus` at `now`; undefined if it has not started yet (autoRun waits for provisioning). */
export function runStatusAt(run: RunRecord, now: number): RunStatus | undefined {
  if (now < run.startedAt) return undefined;
  const startTime = new Date(run.startedAt).toISOString();
  const end = runEnd(run);
  if (run.cancel && run.cancel.requestedAt < end.at) {
    if (now >= run.cancel.completesAt) {
      return {
        runState: "Canceled",
        startTime,
        endTime: new Date(run.cancel.completesAt).toISOString(),
        message: "The build was canceled by the user.",
      };
    }
    // As recorded right after a cancel: no runSubState, the zero endTime and the service's text.
    if (now >= run.cancel.requestedAt) {
      return { runState: "Canceling", startTime, endTime: NOT_ENDED, message: "Canceling image build" };
    }
  }
  if (now >= end.at) {
    const endTime = new Date(end.at).toISOString();
    if (end.state === "Succeeded") return { runState: "Succeeded", startTime, endTime, message: "" };
    return end.state === "PartiallySucceeded"
      ? { runState: "PartiallySucceeded", startTime, endTime, message: run.failedDistribution!.message }
      : {
          runState: "Failed",
          runSubState: "Customizing",
          startTime,
          endTime,
          message: run.failMessage ?? "",
        };
  }
  const slice = run.durationMs / run.subStates.length;
  const index = Math.min(run.subStates.length - 1, Math.floor((now - run.startedAt) / slice));
  return { runState: "Running", runSubState: run.subStates[index], startTime, endTime: NOT_ENDED, message: "" };
}

export const isRunActive = (status: RunStatus | undefined) =>
  status?.runState === "Running" || status?.runState === "Canceling";

/** The template's `lastRunStatus` at `now`; undefined before its first run starts. */
export const runStatusOf = (t: TemplateRecord, now: number) => (t.run ? runStatusAt(t.run, now) : undefined);

export const isBuilding = (t: TemplateRecord, now: number) => isRunActive(runStatusOf(t, now));
