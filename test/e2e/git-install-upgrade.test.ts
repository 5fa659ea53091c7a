/**
 * A stack deployed with a pre-release git install, whose serialized providers load module paths this version no
 * longer has (provider/operations.ts and trigger-operations.ts, removed with the other old-path shims), through the
 * real engine: the state is written by this version and then given the old paths, as such a stack's state holds
 * them. Refresh and destroy load each provider from the stored outputs, so they fail until one `pulumi up` with the
 * new package has recorded each resource's serialized provider anew (README, Versioning; CHANGELOG).
 */
import * as assert from "node:assert/strict";
import type { OpType } from "@pulumi/pulumi/automation";
import type { EngineStack } from "./helpers/engine-stack";
import { ImageTemplate, ImageTemplateTrigger } from "pulumi-azure-imagebuilder";
import { templateArgs } from "../fixtures/template-args";
import { ENSURE_TIMEOUT_MS, pulumiBinDir } from "./helpers/engine";
import { startEngineSuite, templates, type EngineSuite } from "./helpers/stacks";

const PROJECT = "e2e-git-install-upgrade";
const RG = "rg-git-install";

/** Each resource type's implementation module as this version's serialized provider names it, and as an old one did. */
const MOVED: Record<string, { now: string[]; before: string[] }> = {
  ImageTemplate: {
    now: ["dist/provider/image-template/operations.js", '"./image-template/operations"'],
    before: ["dist/provider/operations.js", '"./operations"'],
  },
  ImageTemplateTrigger: {
    now: ["dist/provider/trigger/operations.js", '"./trigger/operations"'],
    before: ["dist/provider/trigger-operations.js", '"./trigger-operations"'],
  },
};

interface StoredResource {
  type: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

const kindOf = (r: StoredResource) => Object.keys(MOVED).find((k) => r.type.endsWith(`:${k}`));

describe("upgrading a stack of a pre-release git install (real engine)", function () {
  this.timeout(5 * 60_000);
  let suite: EngineSuite;
  let stack: EngineStack;

  const ours = async (): Promise<StoredResource[]> =>
    ((await stack.exportStack()).deployment.resources ?? []).filter((r: StoredResource) => kindOf(r) !== undefined);

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    await pulumiBinDir();
    suite = await startEngineSuite();
    const subscriptionId = suite.emulator.subscriptionId;
    stack = await suite.inlineStack(PROJECT, "dev", async () => {
      const template = new ImageTemplate("web", templateArgs(subscriptionId, RG, { imageTemplateName: "upgrade-web" }));
      new ImageTemplateTrigger("web-on-new-ubuntu", {
        resourceGroupName: RG,
        imageTemplateName: template.imageTemplateName,
        triggerName: "on-new-ubuntu",
        kind: "SourceImage",
      });
    });
    await stack.up();
    // The state as a pre-release install left it: each serialized provider loads the old module path.
    const exported = await stack.exportStack();
    let renamed = 0;
    for (const r of exported.deployment.resources as StoredResource[]) {
      const kind = kindOf(r);
      if (!kind) continue;
      const { now, before } = MOVED[kind];
      for (const bag of [r.inputs, r.outputs]) {
        const serialized = String(bag.__provider);
        assert.ok(
          now.every((s) => serialized.includes(s)),
          serialized,
        );
        bag.__provider = now.reduce((text, s, i) => text.replace(s, before[i]), serialized);
        renamed++;
      }
    }
    assert.equal(renamed, 4);
    await stack.importStack(exported);
  });

  after(async () => {
    await suite?.tearDown();
  });

  it("refresh fails on the old paths: nothing of this version answers them", async () => {
    await assert.rejects(stack.refresh(), /Cannot find module .*dist\/provider\/(operations|trigger-operations)\.js/);
  });

  it("one pulumi up records this version's providers, sending nothing to Azure", async () => {
    const before = await templates(suite.emulator);
    await suite.emulator.admin.clearRequests();
    const ops: Record<string, OpType> = {};
    await stack.up({
      onEvent: (e) => {
        const meta = e.resourcePreEvent?.metadata;
        if (meta && kindOf({ type: meta.type } as StoredResource)) ops[meta.urn] = meta.op;
      },
    });
    assert.deepEqual(Object.values(ops), ["update", "update"]);
    for (const r of await ours()) {
      const { now } = MOVED[kindOf(r)!];
      for (const bag of [r.inputs, r.outputs]) assert.ok(String(bag.__provider).includes(now[0]), r.type);
    }
    const writes = (await suite.emulator.admin.requests()).filter((q) => q.kind === "arm" && q.method !== "GET");
    assert.deepEqual(writes, []);
    assert.deepEqual(await templates(suite.emulator), before);
  });

  it("then refresh and destroy work, and the next preview has no changes", async () => {
    await stack.preview({ expectNoChanges: true });
    await stack.refresh();
    await stack.destroy();
    assert.deepEqual(await templates(suite.emulator), []);
    assert.deepEqual(await ours(), []);
  });
});
