/**
 * What the provider keeps in state across operations, against the emulator (real SDK over HTTPS): the provider-held
 * settings and the owed build survive a refresh, run outputs survive a later PATCH, a build that cannot even start
 * still records the template's computed outputs, and a Failed template is never adopted. Also what refresh takes from
 * the service and what it keeps, what an update of provider settings alone records, and what create and delete leave
 * behind when the service refuses, fails or is taken over.
 *
 * Imports the operations from source (not dist/, unlike provider.test.ts) so mutation testing sees them.
 */
import assert from "node:assert/strict";
import * as ops from "../../provider/image-template/operations";
import { templateArgs } from "../fixtures/template-args";
import { sourceOperationsSuite } from "../helpers/source-operations";
import { OWNER_TAG } from "../../provider/image-template/ownership";

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
  const { emu, inputs, armRequests, writes, liveTemplates, buildReaches, withTiming } = sourceOperationsSuite(RG);

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
      detailedDiff: { build: { kind: "update", replace: false } },
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

  it("refresh takes drifted arguments from the service, keeps the stored spelling of the others and the hidden keys", async () => {
    const news = { ...templateArgs(emu().subscriptionId, RG, { location: "West US" }), __pulumiName: "drifty" };
    const checked = await ops.check({}, { ...news, __autonameSeed: "proj/dev/drifty" });
    const first = { ...checked.inputs, __provider: "serialized" };
    const created = await ops.create(first);
    const outs = created.outs as Bag;
    const live = (await liveTemplates())[0];
    // The service answers in its own spelling of the region, and someone retagged the template.
    await emu().admin.putRaw(created.id, {
      ...live,
      location: "westus",
      tags: { ...(live.tags as Bag), env: "hacked" },
    });

    const refreshed = await ops.read(created.id, outs);
    const kept = refreshed.inputs as Bag;
    assert.equal(refreshed.id, created.id);
    assert.equal(kept.location, "West US", "an argument the service agrees with keeps the program's spelling");
    assert.deepEqual(kept.tag, { env: "hacked" }, "drift shows as the service's value, without the marker");
    assert.deepEqual(kept.source, first.source);
    for (const hidden of ["__defaults", "__pulumiName", "__owner"]) {
      assert.deepEqual(kept[hidden], first[hidden], `${hidden} survives refresh`);
    }
    const props = refreshed.props as Bag;
    assert.deepEqual(props.__defaults, ["imageTemplateName"]);
    assert.equal(props.__ownership, outs.__ownership);
    assert.equal(props.resourceId, created.id);
    assert.equal(props.provisioningState, "Succeeded");

    // The id alone (ImageTemplate.get) addresses the template.
    const got = await ops.read(created.id, {});
    assert.equal((got.inputs as Bag).location, "westus");
    assert.equal((got.props as Bag).imageTemplateName, first.imageTemplateName);

    await emu().admin.deleteRaw(created.id);
    assert.deepEqual(await ops.read(created.id, props), {}, "a template deleted out of band leaves state");
  });

  it("refresh reads the run outputs of a build that ended since, and only then", async () => {
    const first = await inputs("tpl-later", { build: { when: "onCreate", waitForCompletion: false } });
    const created = await quietly(() => ops.create(first));
    const outs = created.outs as Bag;
    assert.equal(outs.runOutputs, undefined, "not waited for: nothing to show yet");
    assert.equal(outs.buildPending, undefined, "a started build owes nothing");
    await buildReaches("tpl-later", "Succeeded");

    await emu().admin.clearRequests();
    const refreshed = (await ops.read(created.id, outs)).props as Bag;
    assert.ok((refreshed.runOutputs as Bag).mi, "the run outputs of the build that ended");
    assert.equal(refreshed.buildPending, undefined);
    const listed = (await armRequests()).filter((r) => r.path.endsWith("/runOutputs")).length;
    assert.equal(listed, 1);

    await emu().admin.clearRequests();
    const again = (await ops.read(created.id, refreshed)).props as Bag;
    assert.deepEqual(again.runOutputs, refreshed.runOutputs);
    assert.deepEqual(
      (await armRequests()).filter((r) => r.path.endsWith("/runOutputs")),
      [],
      "the stored run outputs are of the last run: not listed again",
    );
  });

  it("an update of the provider's build settings alone sends nothing and keeps every computed output", async () => {
    const first = await inputs("tpl-settings", { build: { when: "onCreate" } });
    const created = await quietly(() => ops.create(first));
    const olds = created.outs as Bag;
    const news = await inputs("tpl-settings", { build: { when: "onCreate", logs: "off" } }, olds);
    assert.deepEqual(await ops.diff(created.id, olds, news), {
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
      detailedDiff: { build: { kind: "update", replace: false } },
    });

    await emu().admin.clearRequests();
    const outs = (await ops.update(created.id, olds, news)).outs as Bag;
    assert.deepEqual(await armRequests(), [], "not a single request");
    assert.deepEqual(outs.build, { when: "onCreate", logs: "off" });
    for (const key of [
      "resourceId",
      "provisioningState",
      "lastRunStatusRunState",
      "lastRunStatusEndTime",
      "runOutputs",
      "exactStagingResourceGroup",
    ]) {
      assert.ok(olds[key] !== undefined, `${key} was recorded by create`);
      assert.deepEqual(outs[key], olds[key], `${key} kept`);
    }
    assert.equal(outs.buildPending, undefined);
  });

  it("an in-place change with build onChange PATCHes, then builds, and records that build's outputs", async () => {
    const seed = { __autonameSeed: "proj/dev/changing" };
    const created = await ops.create(await inputs("tpl-change", seed));
    const olds = created.outs as Bag;
    assert.equal(olds.runOutputs, undefined);
    const news = await inputs("tpl-change", { ...seed, tag: { env: "prod" }, build: { when: "onChange" } }, olds);

    await emu().admin.clearRequests();
    const outs = (await quietly(() => ops.update(created.id, olds, news))).outs as Bag;
    assert.deepEqual(await writes(), ["PATCH", "POST"], "the PATCH, then the build");
    assert.equal(outs.lastRunStatusRunState, "Succeeded");
    assert.ok((outs.runOutputs as Bag).mi);
    assert.deepEqual(outs.tag, { env: "prod" });
    assert.equal(outs.__ownership, olds.__ownership, "the marker stays this resource's");
    const tags = (await liveTemplates())[0].tags as Bag;
    assert.deepEqual(tags, { env: "prod", [OWNER_TAG]: olds.__ownership });
  });

  it("delete: a template already gone is done; one a replacement took over is left; a running build is canceled first", async () => {
    const gone = await ops.create(await inputs("tpl-gone"));
    await emu().admin.deleteRaw(gone.id);
    await emu().admin.clearRequests();
    await ops.$delete(gone.id, gone.outs as Bag);
    assert.deepEqual(await writes(), []);

    const seed = { __autonameSeed: "proj/dev/taken" };
    const old = await ops.create(await inputs("tpl-taken", seed));
    const replacement = await ops.create(await inputs("tpl-taken", seed));
    assert.notEqual((replacement.outs as Bag).__ownership, (old.outs as Bag).__ownership);
    await emu().admin.clearRequests();
    await quietly(() => ops.$delete(old.id, old.outs as Bag));
    assert.deepEqual(await writes(), [], "the replacement's template is not deleted");
    assert.equal((await liveTemplates()).length, 1);
    await ops.$delete(replacement.id, replacement.outs as Bag);
    assert.deepEqual(await liveTemplates(), []);

    await withTiming({ buildDurationMs: 60_000 }, async () => {
      const busy = await quietly(async () =>
        ops.create(await inputs("tpl-busy", { build: { when: "onCreate", waitForCompletion: false } })),
      );
      await emu().admin.clearRequests();
      await quietly(() => ops.$delete(busy.id, busy.outs as Bag));
      const log = (await armRequests()).map((r) => `${r.method} ${r.path.split("/").pop()}`);
      const cancel = log.indexOf("POST cancel");
      assert.ok(cancel >= 0 && log.indexOf("DELETE tpl-busy") > cancel, log.join(", "));
      assert.deepEqual(await liveTemplates(), []);
    });
  });

  it("create refuses a template another resource holds, and names each immutable difference when adopting", async () => {
    const theirs = await ops.create(await inputs("tpl-theirs", { __autonameSeed: "proj/prod/theirs" }));
    await emu().admin.clearRequests();
    await assert.rejects(
      ops.create(await inputs("tpl-theirs", { __autonameSeed: "proj/dev/mine" })),
      /image template "tpl-theirs" \(resource group "rg-state", subscription [^)]+\) already exists and is not marked as this resource's.*adoptExisting: true/,
    );
    const other = [{ type: "Shell", name: "other", inline: ["echo other"] }];
    await assert.rejects(
      ops.create(await inputs("tpl-theirs", { adoptExisting: true, customize: other, buildTimeoutInMinute: 60 })),
      (e: Error) => {
        const lines = e.message.split("\n");
        assert.match(lines[0], /^Cannot adopt image template "tpl-theirs"/);
        assert.deepEqual(
          lines.filter((l) => l.startsWith("  ")),
          [
            "  buildTimeoutInMinute: existing 0, declared 60",
            `  customize: existing ${JSON.stringify(templateArgs("", "").customize)}, declared ${JSON.stringify(other)}`,
          ],
        );
        return true;
      },
    );
    assert.deepEqual(await writes(), [], "refusals change nothing");

    const adopted = await ops.create(
      await inputs("tpl-theirs", { adoptExisting: true, __autonameSeed: "proj/dev/mine", tag: { env: "mine" } }),
    );
    assert.equal(adopted.id, theirs.id);
    assert.deepEqual(await writes(), ["PATCH"], "one PATCH takes it over");
    const marker = (adopted.outs as Bag).__ownership as string;
    assert.notEqual(marker, (theirs.outs as Bag).__ownership);
    assert.deepEqual((await liveTemplates())[0].tags, { env: "mine", [OWNER_TAG]: marker });
  });

  it("create: a rejected PUT leaves nothing; a failed provisioning is deleted; an accepted PUT not followed is recorded", async () => {
    await emu().admin.injectFault({ method: "PUT", path: "/imageTemplates/tpl-create$", kind: "error", status: 400 });
    await assert.rejects(ops.create(await inputs("tpl-create")), (e: Error & { id?: string }) => {
      assert.match(e.message, /^Creating image template "tpl-create"/);
      assert.equal(e.id, undefined, "not a partial state: nothing to record");
      return true;
    });
    assert.deepEqual(await liveTemplates(), []);

    await emu().admin.injectFault({
      method: "PUT",
      path: "/imageTemplates/tpl-create$",
      kind: "failProvisioning",
      message: "source image not accessible.",
    });
    await emu().admin.clearRequests();
    await assert.rejects(ops.create(await inputs("tpl-create")), (e: Error) => {
      assert.match(e.message, /provisioning error \w+: source image not accessible\. The failed template was deleted;/);
      return true;
    });
    assert.deepEqual(await writes(), ["PUT", "DELETE"]);
    assert.deepEqual(await liveTemplates(), []);

    const timing = await emu().admin.setTiming({});
    await emu().admin.setTiming({ lroDurationMs: 60_000 });
    process.env.AZURE_IMAGEBUILDER_MAX_RETRIES = "0";
    try {
      await emu().admin.injectFault({ method: "GET", path: "/operations/", kind: "error", status: 500, count: 50 });
      const first = await inputs("tpl-create");
      const e = await partialState(() => ops.create(first));
      assert.match(e.message, /The template is in state Creating; Pulumi records it/);
      assert.equal(
        e.id,
        `/subscriptions/${emu().subscriptionId}/resourceGroups/${RG}/providers/Microsoft.VirtualMachineImages/imageTemplates/tpl-create`,
      );
      assert.equal(e.properties.provisioningState, "Creating");
      assert.equal(e.properties.imageTemplateName, "tpl-create");
      assert.equal(e.properties.__provider, "serialized");
    } finally {
      delete process.env.AZURE_IMAGEBUILDER_MAX_RETRIES;
      await emu().admin.clearFaults();
      await emu().admin.setTiming(timing);
    }
  });
});
