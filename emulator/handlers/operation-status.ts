import type { EmulatorContext } from "../context";
import { errors } from "../errors";
import type { ArmRequest, Reply } from "../http";
import { operationStatus, retryAfter } from "../lro";

/**
 * GET .../locations/{location}/operations/{operationId}: the status monitor LRO headers point to, found whatever the
 * GUID's casing (the service names it in upper case). While InProgress it repeats the `Retry-After` the emulator was
 * told to send, if any: the service sends none, so clients poll at their own pace.
 */
export function getOperationStatus(ctx: EmulatorContext, r: ArmRequest): Reply {
  const op = ctx.repository.operation(r.params.operationId.toLowerCase());
  if (!op || op.subscriptionId.toLowerCase() !== r.params.subscriptionId.toLowerCase()) {
    throw errors.operationNotFound(r.params.operationId);
  }
  const body = operationStatus(op, r.now);
  return { status: 200, body, headers: body.status === "InProgress" ? retryAfter(ctx.timing.retryAfterSeconds) : {} };
}
