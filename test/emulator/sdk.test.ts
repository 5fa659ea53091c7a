import assert from "node:assert/strict";
import { ImageBuilderClient } from "@azure/arm-imagebuilder";
import { ClientSecretCredential } from "@azure/identity";
import { applyEmulatorEnv, startTestEmulator, trustEmulatorCertificate, type TestEmulator } from "../helpers/emulator";

const RG = "sdk-rg";

function templateBody(emu: TestEmulator, extra: Record<string, unknown> = {}) {
  return {
    location: "westus",
    identity: {
      type: "UserAssigned" as const,
      userAssignedIdentities: {
        [`/subscriptions/${emu.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1`]:
          {},
      },
    },
    source: {
      type: "PlatformImage" as const,
      publisher: "Canonical",
      offer: "ubuntu",
      sku: "24_04-lts",
      version: "latest",
    },
    distribute: [
      {
        type: "ManagedImage" as const,
        runOutputName: "img",
        imageId: `/subscriptions/${emu.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Compute/images/i1`,
        location: "westus",
      },
      {
        type: "SharedImage" as const,
        runOutputName: "sig",
        galleryImageId: `/subscriptions/${emu.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Compute/galleries/g/images/d`,
        versioning: { scheme: "Latest", major: 2 },
      },
      { type: "VHD" as const, runOutputName: "vhd" },
    ],
    ...extra,
  };
}

describe("emulator: real Azure SDK pollers", function () {
  let emu: TestEmulator;
  before(async () => {
    emu = await startTestEmulator();
  });
  after(async () => {
    await emu.stop();
  });

  it("completes create, get, patch, run, list run outputs and delete through the SDK", async () => {
    const client = emu.client();
    const ops = client.virtualMachineImageTemplates;
    const created = await ops.createOrUpdate(RG, "t1", templateBody(emu), emu.poll);
    assert.equal(created.provisioningState, "Succeeded");
    assert.equal((created.source as { exactVersion?: string }).exactVersion?.startsWith("1.0."), true);
    assert.match(
      created.exactStagingResourceGroup ?? "",
      new RegExp(`^/subscriptions/${emu.subscriptionId}/resourceGroups/IT_${RG}_t1_[0-9a-f-]{36}$`),
    );
    const uai = Object.values(created.identity.userAssignedIdentities ?? {})[0];
    assert.match(uai.clientId ?? "", /^[0-9a-f-]{36}$/);
    assert.equal(created.lastRunStatus, undefined);

    const patched = await ops.update(
      RG,
      "t1",
      { tags: { a: "b" }, properties: { vmProfile: { vmSize: "Standard_D4s_v3" } } },
      emu.poll,
    );
    assert.deepEqual(patched.tags, { a: "b" });
    assert.equal(patched.vmProfile?.vmSize, "Standard_D4s_v3");

    await ops.run(RG, "t1", emu.poll);
    const built = await ops.get(RG, "t1");
    assert.equal(built.lastRunStatus?.runState, "Succeeded");
    const outputs = [];
    for await (const o of ops.listRunOutputs(RG, "t1")) outputs.push(o);
    assert.deepEqual(outputs.map((o) => o.name).sort(), ["img", "sig", "vhd"]);
    const sig = outputs.find((o) => o.name === "sig");
    assert.match(sig?.artifactId ?? "", /\/galleries\/g\/images\/d\/versions\/2\.0\.1$/);
    assert.match(outputs.find((o) => o.name === "vhd")?.artifactUri ?? "", /^https:\/\/.+\.vhd$/);
    assert.equal((await ops.getRunOutput(RG, "t1", "img")).artifactId, templateBody(emu).distribute[0].imageId);

    await ops.delete(RG, "t1", emu.poll);
    await assert.rejects(
      ops.get(RG, "t1"),
      (e: { statusCode?: number; code?: string }) => e.statusCode === 404 && e.code === "ResourceNotFound",
    );
  });

  it("lets code that builds its own clients from the env work in-process after trustEmulatorCertificate", async () => {
    trustEmulatorCertificate(emu.caPem);
    const restore = applyEmulatorEnv(emu);
    try {
      const credential = new ClientSecretCredential(
        process.env.AZURE_TENANT_ID!,
        process.env.AZURE_CLIENT_ID!,
        process.env.AZURE_CLIENT_SECRET!,
        {
          authorityHost: process.env.AZURE_AUTHORITY_HOST,
          disableInstanceDiscovery: true,
        },
      );
      const client = new ImageBuilderClient(credential, process.env.AZURE_SUBSCRIPTION_ID!, {
        endpoint: process.env.AZURE_RESOURCE_MANAGER_ENDPOINT,
      });
      const names = [];
      for await (const t of client.virtualMachineImageTemplates.list()) names.push(t.name);
      assert.deepEqual(names, []);
    } finally {
      restore();
    }
  });
});
