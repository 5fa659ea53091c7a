import type { EmulatorCore } from "../core";
import { errors } from "../errors";
import type { ArmRequest, Reply } from "../http";
import { operationStatus } from "../lro";

/** GET .../locations/{location}/operations/{operationId}: the status monitor LRO headers point to. */
export function getOperationStatus(emu: EmulatorCore, r: ArmRequest): Reply {
  const op = emu.state.operations[r.params.operationId];
  if (!op || op.subscriptionId.toLowerCase() !== r.params.subscriptionId.toLowerCase()) {
    throw errors.operationNotFound(r.params.operationId);
  }
  return { status: 200, body: operationStatus(op, r.now) };
}
