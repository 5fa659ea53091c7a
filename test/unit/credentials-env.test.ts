import assert from "node:assert/strict";
import { resolveAzureSettings } from "../../provider/azure/credentials";

// Which variable feeds which setting, one family at a time (the emulator's environment sets both families).
describe("credential settings: AZURE_* first, ARM_* as the fallback", () => {
  it("takes the tenant and client from ARM_* when the AZURE_* ones are absent", () => {
    const s = resolveAzureSettings({ ARM_TENANT_ID: "arm-tenant", ARM_CLIENT_ID: "arm-client" });
    assert.equal(s.tenantId, "arm-tenant");
    assert.equal(s.managedIdentityClientId, "arm-client");
  });

  it("prefers AZURE_TENANT_ID and AZURE_CLIENT_ID over their ARM_* counterparts", () => {
    const s = resolveAzureSettings({
      AZURE_TENANT_ID: "azure-tenant",
      AZURE_CLIENT_ID: "azure-client",
      ARM_TENANT_ID: "arm-tenant",
      ARM_CLIENT_ID: "arm-client",
    });
    assert.equal(s.tenantId, "azure-tenant");
    assert.equal(s.managedIdentityClientId, "azure-client");
  });

  it("leaves the tenant and client unset when neither family sets them (the SDK then picks its defaults)", () => {
    const s = resolveAzureSettings({ AZURE_TENANT_ID: "", ARM_TENANT_ID: "" });
    assert.equal(s.tenantId, undefined);
    assert.equal(s.managedIdentityClientId, undefined);
    assert.equal(s.armServicePrincipal, undefined);
  });

  it("needs all three ARM_* variables for a service principal", () => {
    const all = { ARM_TENANT_ID: "t", ARM_CLIENT_ID: "c", ARM_CLIENT_SECRET: "s" };
    assert.deepEqual(resolveAzureSettings(all).armServicePrincipal, { tenantId: "t", clientId: "c" });
    for (const missing of Object.keys(all)) {
      const env = { ...all, [missing]: undefined };
      assert.equal(resolveAzureSettings(env).armServicePrincipal, undefined, `without ${missing}`);
    }
  });
});
