/**
 * What the provider keeps in state across operations, against the emulator (real SDK over HTTPS): the provider-held
 * settings and the owed build survive a refresh, run outputs survive a later PATCH, a build that cannot even start
 * still records the template's computed outputs, and a Failed template is never adopted.
 *
 * Imports the operations from source (not dist/, unlike provider.test.ts) so mutation testing sees them.
 */
import assert from "node:assert/strict";
import * as ops from "../../provider/image-template/operations";
import { templateArgs } from "../../bench/programs/template-args";
import { emulatorForProvider } from "../helpers/emulator";

type Bag = Record<string, unknown>;
interface PartialStateError extends Error {
  id: string;
  properties: Bag;
}
const RG = "rg-state";

/** Runs `fn` with the provider's progress lines (console.log) silenced. */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const original = console.log;
  console.log = () => undefined;
  try {
    return await fn();
  } finally {
    console.log = original;
  }
}

async function partialState(operation: () => Promise<unknown>): Promise<PartialStateError> {
  const e = await quietly(operation).then(
    () => assert.fail("the operation succeeded"),
    (err: unknown) => err as PartialStateError,
  );
  assert.equal(typeof e.id, "string", `a partial-state error, got: ${e.message}`);
  return e;
}

describe("provider state across operations (source operations against the emulator)", function () {
  this.timeout(60_000);
  const emu = emulatorForProvider();

  /** Checked inputs as the engine hands them to create/update (with __provider put back). */
  async function inputs(name: string, extra: Bag = {}, olds: Bag = {}): Promise<Bag> {
    const news = { ...templateArgs(emu().subscriptionId, RG, { imageTemplateName: name, ...extra }) };
    const r = await ops.check(olds, news);
    assert.deepEqual(r.failures ?? [], []);
    return { ...r.inputs, __provider: "serialized" };
  }
  const writes = async () =>
    (await emu().admin.requests()).filter((r) => r.kind === "arm" && r.method !== "GET").map((r) => r.method);

  it("refresh after a failed build keeps build, adoptExisting and buildPending, so the next up still builds", async () => {
    const build = { when: "onCreate", trigger: { release: "1" }, cancelOnTimeout: true };
    const first = await inputs("tpl-pending", { build, adoptExisting: true });
    await emu().admin.injectFault({ method: "POST", path: "/imageTemplates/tpl-pending/run$", kind: "failBuild" });
    const failed = await partialState(() => ops.create(first));
    assert.equal(failed.properties.buildPending, true);

    const refreshed = await ops.read(failed.id, failed.properties);
    const props = refreshed.props as Bag;
    const kept = refreshed.inputs as Bag;
    assert.equal(props.buildPending, true, "the owed build survives refresh");
    assert.deepEqual(kept.build, build, "refresh keeps the build settings (the service does not hold them)");
    assert.deepEqual(props.build, build);
    assert.equal(kept.adoptExisting, true, "refresh keeps adoptExisting");
    assert.equal(props.lastRunStatusRunState, "Failed");

    const again = await inputs("tpl-pending", { build, adoptExisting: true }, props);
    assert.deepEqual(await ops.diff(failed.id, props, again), {
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    const updated = (await quietly(() => ops.update(failed.id, props, again))).outs as Bag;
    assert.equal(updated.lastRunStatusRunState, "Succeeded");
    assert.equal(updated.buildPending, undefined, "a successful build settles the debt");
  });

  it("refresh after a successful build keeps no buildPending and the stored run outputs", async () => {
    const first = await inputs("tpl-done", { build: { when: "onCreate" } });
    const created = await quietly(() => ops.create(first));
    const outs = created.outs as Bag;
    assert.ok((outs.runOutputs as Bag).mi, "the build's run output");
    const props = (await ops.read(created.id, outs)).props as Bag;
    assert.equal(props.buildPending, undefined);
    assert.deepEqual(props.runOutputs, outs.runOutputs);
  });

  it("run outputs of the last build survive a later in-place change (PATCH) that builds nothing", async () => {
    const first = await inputs("tpl-patch", { build: { when: "onCreate" } });
    const created = await quietly(() => ops.create(first));
    const runOutputs = (created.outs as Bag).runOutputs;
    assert.ok((runOutputs as Bag).mi);

    const retagged = await inputs("tpl-patch", { build: { when: "onCreate" }, tag: { env: "prod" } }, created.outs);
    await emu().admin.clearRequests();
    const updated = (await quietly(() => ops.update(created.id, created.outs as Bag, retagged))).outs as Bag;
    assert.deepEqual(await writes(), ["PATCH"], "one PATCH, no build");
    assert.deepEqual(updated.tag, { env: "prod" });
    assert.deepEqual(updated.runOutputs, runOutputs);
  });

  it("a build the service refuses to start records the template's computed outputs and the owed build", async () => {
    const first = await inputs("tpl-nostart", { build: { when: "onCreate" } });
    await emu().admin.injectFault({
      method: "POST",
      path: "/imageTemplates/tpl-nostart/run$",
      kind: "error",
      status: 400,
    });
    const e = await partialState(() => ops.create(first));
    assert.match(e.message, /Starting a build of image template "tpl-nostart"/);
    const live = (await emu().admin.state()).templates[0] as Bag;
    assert.equal(e.properties.resourceId, e.id);
    assert.equal(e.properties.provisioningState, "Succeeded");
    assert.equal(e.properties.exactStagingResourceGroup, (live.properties as Bag).exactStagingResourceGroup);
    assert.equal(e.properties.buildPending, true);
    assert.equal(e.properties.__provider, "serialized");

    // The same on an update: the outputs recorded before stay in state.
    const owed = await inputs("tpl-nostart", { build: { when: "onCreate" } }, e.properties);
    await emu().admin.injectFault({
      method: "POST",
      path: "/imageTemplates/tpl-nostart/run$",
      kind: "error",
      status: 400,
    });
    const again = await partialState(() => ops.update(e.id, e.properties, owed));
    assert.equal(again.properties.resourceId, e.id);
    assert.equal(again.properties.exactStagingResourceGroup, e.properties.exactStagingResourceGroup);
    assert.equal(again.properties.buildPending, true);
  });

  it("refuses to adopt a template whose provisioning failed, touching nothing", async () => {
    const first = await inputs("tpl-broken");
    const { id } = await ops.create(first);
    const live = (await emu().admin.state()).templates[0] as Bag;
    await emu().admin.putRaw(id, {
      ...live,
      properties: {
        ...(live.properties as Bag),
        provisioningState: "Failed",
        provisioningError: { provisioningErrorCode: "BadSourceType", message: "source unreachable" },
      },
    });
    await emu().admin.clearRequests();
    const adopting = await inputs("tpl-broken", { adoptExisting: true, tag: { owner: "pulumi" } });
    await assert.rejects(ops.create(adopting), (e: Error) => {
      assert.match(e.message, /Cannot adopt image template "tpl-broken".*provisioning failed/);
      assert.match(e.message, /BadSourceType: source unreachable/);
      assert.match(e.message, /az image builder delete -g rg-state -n tpl-broken/);
      return true;
    });
    assert.deepEqual(await writes(), [], "no PATCH, PUT or DELETE");
  });
});
