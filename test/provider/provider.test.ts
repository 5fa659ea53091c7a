/**
 * The dynamic provider against the local emulator, through the real Azure SDK over HTTPS (TLS verified).
 *
 * The provider loads its implementation the way the engine's provider process does: by package name, i.e. this
 * repository's dist/ (`npm test` builds first; the guard below stops a run against a stale build).
 */
import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { imageTemplateProvider } from "../../provider";
import { templateArgs } from "../fixtures/template-args";
import { applyEmulatorEnv, startTestEmulator, trustEmulatorCertificate, type TestEmulator } from "../helpers/emulator";

const ROOT = path.resolve(__dirname, "../..");

function newestSource(dir: string): number {
  return Math.max(
    ...readdirSync(dir, { withFileTypes: true }).map((e) =>
      e.isDirectory() ? newestSource(path.join(dir, e.name)) : statSync(path.join(dir, e.name)).mtimeMs,
    ),
  );
}

function assertFreshBuild(): void {
  const built = path.join(ROOT, "dist/provider/image-template/operations.js");
  let builtAt = 0;
  try {
    builtAt = statSync(built).mtimeMs;
  } catch {
    throw new Error(`${built} is missing: run \`npm run build\` first (npm test does).`);
  }
  if (builtAt < newestSource(path.join(ROOT, "provider"))) {
    throw new Error("dist/provider is older than provider/: run `npm run build` first (npm test does).");
  }
}

type Bag = Record<string, unknown>;
const provider = imageTemplateProvider as Required<pulumi.dynamic.ResourceProvider>;

describe("provider against the emulator", function () {
  this.timeout(60_000);
  let emu: TestEmulator;
  let restoreEnv: () => void;
  const RG = "rg-provider";

  before(async () => {
    assertFreshBuild();
    emu = await startTestEmulator();
    trustEmulatorCertificate(emu.caPem);
    restoreEnv = applyEmulatorEnv(emu);
  });
  after(async () => {
    restoreEnv?.();
    await emu?.stop();
  });
  beforeEach(() => emu.admin.reset());

  const rgId = () => `/subscriptions/${emu.subscriptionId}/resourceGroups/${RG}`;
  const args = (extra: Bag = {}): Bag => templateArgs(emu.subscriptionId, RG, extra);

  /** check as the engine calls it (news carry __provider); fails the test on any failure. */
  async function checked(news: Bag, olds: Bag = {}): Promise<Bag> {
    const { inputs, failures } = await provider.check(olds, { ...news, __provider: "serialized" });
    assert.deepEqual(failures ?? [], []);
    return inputs!;
  }

  async function armRequests() {
    return (await emu.admin.requests()).filter((r) => !r.path.includes("oauth2") && !r.path.includes("openid"));
  }

  it("check -> create -> read -> no diff -> tag update in place -> replace plan -> delete", async () => {
    const inputs = await checked(args({ imageTemplateName: "tpl-seq" }));
    assert.equal(inputs.subscriptionId, emu.subscriptionId, "subscription defaulted from the environment");

    const created = await provider.create(inputs);
    const id = `${rgId()}/providers/Microsoft.VirtualMachineImages/imageTemplates/tpl-seq`;
    assert.equal(created.id, id);
    const outs = created.outs as Bag;
    assert.equal(outs.provisioningState, "Succeeded");
    assert.equal(outs.resourceId, id);
    assert.equal(outs.sourceExactVersion !== undefined, true);
    assert.match(String(outs.exactStagingResourceGroup), /IT_rg-provider_tpl-seq_/);
    for (const [k, v] of Object.entries(inputs)) assert.deepEqual(outs[k], v, `output ${k} echoes the input`);
    assert.equal((await emu.admin.state()).templates.length, 1);

    const read = await provider.read(id, outs);
    assert.equal(read.id, id);
    assert.deepEqual(read.inputs, inputs, "refresh right after create shows no drift");
    assert.deepEqual(
      await provider.diff(id, read.props as Bag, await checked(args({ imageTemplateName: "tpl-seq" }), inputs)),
      {
        changes: false,
        replaces: [],
        deleteBeforeReplace: false,
        detailedDiff: {},
      },
    );

    // Tags change in place: one PATCH, no PUT.
    const retagged = await checked(args({ imageTemplateName: "tpl-seq", tag: { env: "prod" } }), inputs);
    const tagDiff = await provider.diff(id, outs, retagged);
    assert.deepEqual(tagDiff, {
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
      detailedDiff: { tag: { kind: "update", replace: false } },
    });
    await emu.admin.clearRequests();
    const updated = await provider.update(id, outs, retagged);
    const writes = (await armRequests()).filter((r) => r.method !== "GET");
    assert.deepEqual(
      writes.map((r) => r.method),
      ["PATCH"],
    );
    assert.deepEqual((updated.outs as Bag).tag, { env: "prod" });
    assert.equal((updated.outs as Bag).provisioningState, "Succeeded");
    assert.equal((updated.outs as Bag).resourceId, id);
    assert.equal((updated.outs as Bag).exactStagingResourceGroup, outs.exactStagingResourceGroup);
    assert.deepEqual((await emu.admin.state()).templates[0].tags, { env: "prod" });

    // A source change replaces; the user fixed the name, so the old template must go first.
    const resourced = await checked(
      args({
        imageTemplateName: "tpl-seq",
        source: { type: "ManagedImage", imageId: `${rgId()}/providers/Microsoft.Compute/images/base` },
      }),
      inputs,
    );
    assert.deepEqual(await provider.diff(id, updated.outs as Bag, resourced), {
      changes: true,
      replaces: ["source"],
      deleteBeforeReplace: true,
      // The program's tag is back to its first value: in place, beside the replacement.
      detailedDiff: { source: { kind: "update", replace: true }, tag: { kind: "update", replace: false } },
    });

    await provider.delete(id, updated.outs as Bag);
    assert.equal((await emu.admin.state()).templates.length, 0);
    assert.deepEqual(await provider.read(id, updated.outs as Bag), {}, "gone after delete");
    await provider.delete(id, updated.outs as Bag); // already gone is success
  });

  it("changes vmProfile, distribute and identity in place with one PATCH", async () => {
    const inputs = await checked(args({ imageTemplateName: "tpl-patch", vmProfileVmsize: "Standard_D2s_v3" }));
    const { id, outs } = await provider.create(inputs);
    const other = `${rgId()}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/other`;
    const news = await checked(
      args({
        imageTemplateName: "tpl-patch",
        vmProfileOsdiskSizeGb: 128,
        identityUserAssignedIdentity: [other],
        distribute: [{ type: "VHD", runOutputName: "vhd" }],
      }),
      inputs,
    );
    assert.deepEqual(await provider.diff(id, outs as Bag, news), {
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
      detailedDiff: {
        distribute: { kind: "update", replace: false },
        identityUserAssignedIdentity: { kind: "update", replace: false },
        vmProfileOsdiskSizeGb: { kind: "add", replace: false },
        vmProfileVmsize: { kind: "delete", replace: false },
      },
    });
    await emu.admin.clearRequests();
    const updated = await provider.update(id, outs as Bag, news);
    assert.deepEqual(
      (await armRequests()).filter((r) => r.method !== "GET").map((r) => r.method),
      ["PATCH"],
    );
    const live = (await emu.admin.state()).templates[0] as { identity: Bag; properties: Bag };
    assert.deepEqual(Object.keys(live.identity.userAssignedIdentities as Bag), [other]);
    assert.deepEqual(
      live.properties.vmProfile,
      { vmSize: "", osDiskSizeGB: 128 },
      "removed vmSize reset to the default",
    );
    // artifactTags {} is the service's own answer for a distributor without them.
    assert.deepEqual(live.properties.distribute, [{ type: "VHD", runOutputName: "vhd", artifactTags: {} }]);
    const refreshed = await provider.read(id, updated.outs as Bag);
    assert.equal((await provider.diff(id, refreshed.props as Bag, news)).changes, false, "no drift after the PATCH");
  });

  it("autonames, and plans create-before-delete for an autonamed replacement", async () => {
    const inputs = await checked({ ...args(), __pulumiName: "web" });
    assert.match(String(inputs.imageTemplateName), /^web-[0-9a-f]{7}$/);
    const created = await provider.create(inputs);
    const again = await checked({ ...args({ buildTimeoutInMinute: 60 }), __pulumiName: "web" }, inputs);
    assert.equal(again.imageTemplateName, inputs.imageTemplateName, "the name is stable across updates");
    assert.deepEqual(await provider.diff(created.id, created.outs as Bag, again), {
      changes: true,
      replaces: ["buildTimeoutInMinute"],
      deleteBeforeReplace: false,
      detailedDiff: { buildTimeoutInMinute: { kind: "add", replace: true } },
    });
  });

  it("deletes a template whose provisioning failed and reports the service's code and message", async () => {
    await emu.admin.injectFault({
      method: "PUT",
      path: "/imageTemplates/tpl-fail$",
      kind: "failProvisioning",
      message: "source image not accessible",
    });
    const inputs = await checked(args({ imageTemplateName: "tpl-fail" }));
    await assert.rejects(provider.create(inputs), (e: Error) => {
      assert.match(e.message, /tpl-fail/);
      assert.match(e.message, /Other: source image not accessible/);
      assert.match(e.message, /failed template was deleted/);
      return true;
    });
    assert.deepEqual((await emu.admin.state()).templates, []);
  });

  it("reports a request the service rejects with its code and status, leaving nothing behind", async () => {
    // Bypasses check (which would catch the duplicate) to reach the service's own validation.
    const inputs = await checked(args({ imageTemplateName: "tpl-rejected" }));
    const dup = { ...inputs, distribute: [...(inputs.distribute as Bag[]), { type: "VHD", runOutputName: "MI" }] };
    await assert.rejects(
      provider.create(dup),
      /Creating image template "tpl-rejected".*failed \(\w+, HTTP 400\): .*duplicate runOutputName/,
    );
    assert.deepEqual((await emu.admin.state()).templates, []);
  });

  it("explains a credential failure", async () => {
    const secret = process.env.AZURE_CLIENT_SECRET;
    process.env.AZURE_CLIENT_SECRET = "wrong-secret";
    try {
      const inputs = await checked(args({ imageTemplateName: "tpl-auth" }));
      await assert.rejects(provider.create(inputs), /could not get an Azure token.*AZURE_CLIENT_SECRET/s);
    } finally {
      process.env.AZURE_CLIENT_SECRET = secret;
    }
  });

  it("rejects bad inputs in check without a single request reaching the emulator", async () => {
    await emu.admin.clearRequests();
    const bad = args({ buildTimeoutInMinute: 5000, vmProfileVmSize: "Standard_D2s_v3" });
    (bad.distribute as Bag[])[0].runOutputName = "not ok!";
    const { failures } = await provider.check({}, bad);
    assert.deepEqual(failures!.map((f) => f.property).sort(), [
      "buildTimeoutInMinute",
      "distribute[0].runOutputName",
      "vmProfileVmSize",
    ]);
    assert.deepEqual(await emu.admin.requests(), []);
  });

  it("refuses an existing name with advice, and adopts it when asked (reconciling tags in place)", async () => {
    const first = await checked(args({ imageTemplateName: "tpl-adopt" }));
    const existing = await provider.create(first);

    const taken = await checked(args({ imageTemplateName: "tpl-adopt", tag: { owner: "pulumi" } }));
    await assert.rejects(provider.create(taken), /already exists.*adoptExisting: true/);

    const mismatch = await checked(
      args({
        imageTemplateName: "tpl-adopt",
        adoptExisting: true,
        customize: [{ type: "Shell", inline: ["echo other"] }],
      }),
    );
    await assert.rejects(provider.create(mismatch), (e: Error) => {
      assert.match(e.message, /Cannot adopt/);
      assert.match(e.message, /customize: existing .*echo hello.*declared .*echo other/);
      return true;
    });

    const adoptable = await checked(
      args({ imageTemplateName: "tpl-adopt", adoptExisting: true, tag: { owner: "pulumi" } }),
    );
    await emu.admin.clearRequests();
    const adopted = await provider.create(adoptable);
    assert.equal(adopted.id, existing.id);
    assert.deepEqual(
      (await armRequests()).filter((r) => r.method !== "GET").map((r) => r.method),
      ["PATCH"],
    );
    assert.deepEqual((await emu.admin.state()).templates[0].tags, { owner: "pulumi" });
    assert.equal((adopted.outs as Bag).adoptExisting, true);
  });

  it("refresh shows out-of-band drift, and drops a template deleted out of band", async () => {
    const inputs = await checked(args({ imageTemplateName: "tpl-drift", vmProfileVmsize: "Standard_D2s_v3" }));
    const { id, outs } = await provider.create(inputs);
    const live = (await emu.admin.state()).templates[0] as Bag;
    const properties = { ...(live.properties as Bag), vmProfile: { vmSize: "Standard_D8s_v3" } };
    await emu.admin.putRaw(id, { ...live, tags: { env: "hacked" }, properties });

    const refreshed = await provider.read(id, outs as Bag);
    assert.deepEqual((refreshed.inputs as Bag).tag, { env: "hacked" });
    assert.equal((refreshed.inputs as Bag).vmProfileVmsize, "Standard_D8s_v3");
    assert.deepEqual((refreshed.inputs as Bag).customize, inputs.customize, "unchanged members keep their stored form");
    const plan = await provider.diff(id, refreshed.props as Bag, inputs);
    assert.deepEqual(plan, {
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
      detailedDiff: { tag: { kind: "update", replace: false }, vmProfileVmsize: { kind: "update", replace: false } },
    });

    await emu.admin.deleteRaw(id);
    assert.deepEqual(await provider.read(id, refreshed.props as Bag), {});
  });

  it("reads an existing template from its id alone (ImageTemplate.get)", async () => {
    const { id } = await provider.create(await checked(args({ imageTemplateName: "tpl-get" })));
    const read = await provider.read(id, { __provider: "serialized" });
    assert.equal(read.id, id);
    assert.equal((read.props as Bag).imageTemplateName, "tpl-get");
    assert.equal((read.props as Bag).resourceGroupName, RG);
    assert.equal((read.props as Bag).subscriptionId, emu.subscriptionId);
    assert.deepEqual((read.props as Bag).source, args().source);
  });
});
