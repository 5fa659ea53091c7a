import type { EmulatorContext } from "../context";
import { errors } from "../errors";
import type { ArmRequest, Reply } from "../http";
import { operationStatus } from "../lro";

/**
 * GET .../locations/{location}/operations/{operationId}: the status monitor LRO headers point to. While InProgress
 * it repeats `Retry-After`, as ARM's async-operation contract tells clients to pace polls by it: the Azure SDK
 * takes its poll interval from the latest poll response, so without it clients fall back to their own interval.
 */
export function getOperationStatus(ctx: EmulatorContext, r: ArmRequest): Reply {
  const op = ctx.repository.operation(r.params.operationId);
  if (!op || op.subscriptionId.toLowerCase() !== r.params.subscriptionId.toLowerCase()) {
    throw errors.operationNotFound(r.params.operationId);
  }
  const body = operationStatus(op, r.now);
  const headers: Record<string, string> =
    body.status === "InProgress" ? { "Retry-After": String(ctx.timing.retryAfterSeconds) } : {};
  return { status: 200, body, headers };
}
