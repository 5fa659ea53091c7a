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
 * ARM LRO headers: the status monitor in `Azure-AsyncOperation` (and in `Location` for deletes, as the service's
 * examples show, and runs, as its recorded answers do), plus `Retry-After`.
 */
export function lroHeaders(
  baseUrl: string,
  op: OperationRecord,
  retryAfterSeconds: number,
  withLocation: boolean,
): Record<string, string> {
  const monitor = `${baseUrl}${operationPath(op)}?api-version=${API_VERSION}`;
  const headers: Record<string, string> = { "Azure-AsyncOperation": monitor, "Retry-After": String(retryAfterSeconds) };
  if (withLocation) headers.Location = monitor;
  return headers;
}

/** The operation-status resource: InProgress until its completion time, then its outcome. */
export function operationStatus(op: OperationRecord, now: number) {
  const done = now >= op.completesAt;
  return {
    id: operationPath(op),
    name: op.id,
    status: done ? op.outcome : "InProgress",
    startTime: op.startTime,
    ...(done ? { endTime: new Date(op.completesAt).toISOString() } : {}),
    ...(done && op.error ? { error: op.error } : {}),
  };
}
