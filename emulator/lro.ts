import { randomUUID } from "node:crypto";
import { API_VERSION } from "./service";
import { keyOf, type ErrorInfo, type OperationRecord, type TemplateRecord } from "./model";
import { operationResourceId } from "./resource-ids";

/** Completed operations older than this are pruned when new ones start, so the state file stays small. */
const OPERATION_RETENTION_MS = 15 * 60 * 1000;
const PRUNE_THRESHOLD = 500;

export interface NewOperation {
  /** The template acted on, or whose trigger is: the operation lives in its subscription and location. */
  template: Pick<TemplateRecord, "id" | "subscriptionId" | "location">;
  /** The resource acted on when it is not the template itself (a trigger). */
  resourceId?: string;
  now: number;
  durationMs: number;
  outcome?: OperationRecord["outcome"];
  error?: ErrorInfo;
}

/** The record of a new operation (the repository stores it). */
export function newOperation(o: NewOperation): OperationRecord {
  const op: OperationRecord = {
    id: randomUUID(),
    subscriptionId: o.template.subscriptionId,
    location: o.template.location,
    resourceKey: keyOf(o.resourceId ?? o.template.id),
    startTime: new Date(o.now).toISOString(),
    completesAt: o.now + o.durationMs,
    outcome: o.outcome ?? "Succeeded",
  };
  if (o.error) op.error = o.error;
  return op;
}

/** The operations to forget when one starts at `now`: none while few are held, else those long finished. */
export function prunable(operations: OperationRecord[], now: number): OperationRecord[] {
  if (operations.length < PRUNE_THRESHOLD) return [];
  return operations.filter((op) => op.completesAt < now - OPERATION_RETENTION_MS);
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
