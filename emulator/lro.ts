import { randomUUID } from "node:crypto";
import { API_VERSION } from "./errors";
import type { EmulatorState, ErrorInfo, OperationRecord } from "./model";
import { operationResourceId } from "./resource-ids";

/** Completed operations older than this are pruned when new ones start, so the state file stays small. */
const OPERATION_RETENTION_MS = 15 * 60 * 1000;
const PRUNE_THRESHOLD = 500;

export interface NewOperation {
  subscriptionId: string;
  location: string;
  resourceKey: string;
  now: number;
  durationMs: number;
  outcome?: OperationRecord["outcome"];
  error?: ErrorInfo;
}

export function startOperation(state: EmulatorState, o: NewOperation): OperationRecord {
  pruneOperations(state, o.now);
  const op: OperationRecord = {
    id: randomUUID(),
    subscriptionId: o.subscriptionId,
    location: o.location,
    resourceKey: o.resourceKey,
    startTime: new Date(o.now).toISOString(),
    completesAt: o.now + o.durationMs,
    outcome: o.outcome ?? "Succeeded",
  };
  if (o.error) op.error = o.error;
  state.operations[op.id] = op;
  return op;
}

function pruneOperations(state: EmulatorState, now: number): void {
  const ids = Object.keys(state.operations);
  if (ids.length < PRUNE_THRESHOLD) return;
  for (const id of ids) {
    if (state.operations[id].completesAt < now - OPERATION_RETENTION_MS) delete state.operations[id];
  }
}

export function operationPath(op: OperationRecord): string {
  const [sub, location, id] = [op.subscriptionId, op.location, op.id].map(encodeURIComponent);
  return operationResourceId(sub, location, id);
}

/**
 * ARM LRO headers: the status monitor in `Azure-AsyncOperation`, and in `Location` too where the service sends both
 * (PATCH, DELETE, run: the same URL). No `Retry-After` unless the emulator is told to send one (`retryAfterSeconds`
 * > 0): none of the service's recorded answers (2020-2025) carries it.
 */
export function lroHeaders(
  baseUrl: string,
  op: OperationRecord,
  retryAfterSeconds: number,
  withLocation: boolean,
): Record<string, string> {
  const monitor = `${baseUrl}${operationPath(op)}?api-version=${API_VERSION}`;
  return {
    "Azure-AsyncOperation": monitor,
    ...(withLocation ? { Location: monitor } : {}),
    ...retryAfter(retryAfterSeconds),
  };
}

/** The `Retry-After` header the emulator was told to send (none by default, as the service). */
export const retryAfter = (seconds: number): Record<string, string> =>
  seconds > 0 ? { "Retry-After": String(seconds) } : {};

/**
 * The operation-status resource as the service answers it: exactly `name` (the operation GUID in upper case),
 * `status`, `startTime`, `endTime` once finished and, on failure, `error` with only `code` and `message`; no `id`.
 */
export function operationStatus(op: OperationRecord, now: number) {
  const done = now >= op.completesAt;
  return {
    name: op.id.toUpperCase(),
    status: done ? op.outcome : "InProgress",
    startTime: op.startTime,
    ...(done ? { endTime: new Date(op.completesAt).toISOString() } : {}),
    ...(done && op.error ? { error: { code: op.error.code, message: op.error.message } } : {}),
  };
}
