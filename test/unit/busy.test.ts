import assert from "node:assert/strict";
import { isRefusedWhileBuilding } from "../../provider/image-template/build";

// The SDK's RestError carries the status and the service's error body in details.error.
const refusal = (status: number, message: string) => ({
  statusCode: status,
  details: { error: { code: "OperationNotAllowed", message } },
});

describe("busy: which refusals a running build explains", () => {
  it("recognises both wordings of the service's refusal while a build runs or cancels", () => {
    const current =
      "Operation Microsoft.VirtualMachineImages/imageTemplates/write is not allowed in provisioning state: provisioned or run state: running.";
    const older =
      "Operation 'Microsoft.VirtualMachineImages/imageTemplates/write' is not allowed in provisioningState: 'provisioned', runState: 'canceling'";
    assert.equal(isRefusedWhileBuilding(refusal(409, current)), true);
    assert.equal(isRefusedWhileBuilding(refusal(409, older)), true);
  });

  it("leaves other refusals alone", () => {
    const creating = "Operation 'DELETE' is not allowed in provisioningState: 'creating'";
    const idle =
      "Operation Microsoft.VirtualMachineImages/imageTemplates/write is not allowed in provisioning state: updating or run state: .";
    assert.equal(isRefusedWhileBuilding(refusal(409, creating)), false);
    assert.equal(isRefusedWhileBuilding(refusal(409, idle)), false);
    assert.equal(isRefusedWhileBuilding(refusal(400, "run state: running")), false);
  });
});
