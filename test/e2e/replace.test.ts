/**
 * `pulumi up --replace <urn>` of an autonamed template whose arguments did not change, through the real engine.
 *
 * Pulumi 3.248 does not ask the provider's diff about a targeted replacement (`--replace`, `pulumi state taint`):
 * the step generator answers it itself (`ReplaceKeys: ["id"]`, no deleteBeforeReplace), so only the resource option
 * `deleteBeforeReplace` can order the delete first. The replacement's check runs without olds and draws the same
 * deterministic autoname, so create-before-delete targets the live template's own name. These tests pin what that
 * means: create takes the template back by its ownership marker (rewriting the nonce), so the old resource's delete
 * that follows leaves it alone; the resource option is the way to force a re-create under the same name. ImageTemplate sets that option itself when
 * the name is fixed, so a fixed-name template is re-created under its name.
 */
import * as assert from "node:assert/strict";
import { OWNER_TAG } from "../../provider/image-template/ownership";
import type { EngineEvent, OpType } from "@pulumi/pulumi/automation";
import type { EngineStack } from "./helpers/engine-stack";
import * as pulumi from "@pulumi/pulumi";
import { ImageTemplate } from "pulumi-azure-imagebuilder";
import { templateArgs } from "../fixtures/template-args";
import { ENSURE_TIMEOUT_MS, pulumiBinDir } from "./helpers/engine";
import { startEngineSuite, templates, type EngineSuite } from "./helpers/stacks";

const PROJECT = "e2e-replace";
const RG = "rg-replace";
const FIXED_NAME = "replace-fixed";

/** One template named `auto` (autonamed unless `imageTemplateName` is given). */
function program(subscriptionId: string, opts: pulumi.CustomResourceOptions = {}, imageTemplateName?: string) {
  return async () => {
    const template = new ImageTemplate("auto", templateArgs(subscriptionId, RG, { imageTemplateName }), opts);
    return { name: template.imageTemplateName };
  };
}

/** The template steps the engine announced, in order. */
function stepRecorder(): { onEvent: (e: EngineEvent) => void; steps: OpType[] } {
  const steps: OpType[] = [];
  return {
    steps,
    onEvent: (e) => {
      const meta = e.resourcePreEvent?.metadata;
      if (meta?.type.endsWith(":ImageTemplate")) steps.push(meta.op);
    },
  };
}

describe("pulumi up --replace of an autonamed template (real engine)", function () {
  this.timeout(5 * 60_000);
  let suite: EngineSuite;
  let stack: EngineStack;
  let subscriptionId: string;
  let urn: string;
  let name: string;

  const inState = async () =>
    (await stack.exportStack()).deployment.resources.filter((r: { type: string }) => r.type.endsWith(":ImageTemplate"));

  /** Exactly one template in Azure, provisioned, under `name`, and the state records exactly that one. */
  async function assertOneRecordedTemplate(): Promise<string | undefined> {
    const held = await templates(suite.emulator);
    assert.deepEqual(
      held.map((t) => t.name),
      [name],
    );
    assert.equal(held[0].properties.provisioningState, "Succeeded");
    const recorded = await inState();
    assert.equal(recorded.length, 1);
    assert.equal(recorded[0].id.toLowerCase(), held[0].id.toLowerCase());
    assert.equal(recorded[0].outputs.provisioningState, "Succeeded");
    return held[0].systemData?.createdAt;
  }

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    await pulumiBinDir();
    suite = await startEngineSuite();
    subscriptionId = suite.emulator.subscriptionId;
    stack = await suite.inlineStack(PROJECT, "dev", program(subscriptionId));
    const result = await stack.up();
    name = result.outputs.name.value as string;
    urn = (await inState())[0].urn;
  });

  after(async () => {
    await suite?.tearDown();
  });

  it("plans create-before-delete onto the same autoname; create takes its marked template back and the old delete leaves it", async () => {
    const createdAt = await assertOneRecordedTemplate();
    const markerBefore = (await templates(suite.emulator))[0].tags?.[OWNER_TAG];
    const recorder = stepRecorder();
    const result = await stack.up({ replace: [urn], onEvent: recorder.onEvent });
    // The engine went for the replacement first (no provider diff could have asked for delete-first).
    assert.deepEqual(recorder.steps, ["create-replacement", "replace", "delete-replaced"]);
    assert.deepEqual(result.summary.resourceChanges, { same: 1, replace: 1 });
    assert.equal(await assertOneRecordedTemplate(), createdAt, "the live template was kept, not deleted or re-created");
    const markerAfter = (await templates(suite.emulator))[0].tags?.[OWNER_TAG];
    assert.ok(markerBefore && markerAfter && markerAfter !== markerBefore, "the replacement rewrote the nonce");
  });

  it("with the deleteBeforeReplace option, --replace deletes first and re-creates the template under its name", async () => {
    const createdAt = await assertOneRecordedTemplate();
    stack.workspace.program = program(subscriptionId, { deleteBeforeReplace: true });
    const recorder = stepRecorder();
    const result = await stack.up({ replace: [urn], onEvent: recorder.onEvent });
    assert.deepEqual(result.summary.resourceChanges, { same: 1, replace: 1 });
    assert.deepEqual(recorder.steps, ["delete-replaced", "replace", "create-replacement"]);
    assert.equal(result.outputs.name.value, name, "same inputs, same deterministic autoname");
    assert.notEqual(await assertOneRecordedTemplate(), createdAt, "a new template was created");
  });

  it("a fixed name deletes first on --replace (ImageTemplate sets deleteBeforeReplace) and re-creates the template", async () => {
    // The autonamed template made way (destroy), so the emulator holds this stack's fixed one only.
    await stack.destroy();
    stack.workspace.program = program(subscriptionId, {}, FIXED_NAME);
    await stack.up();
    name = FIXED_NAME;
    urn = (await inState())[0].urn;
    const createdAt = await assertOneRecordedTemplate();
    const recorder = stepRecorder();
    const result = await stack.up({ replace: [urn], onEvent: recorder.onEvent });
    assert.deepEqual(result.summary.resourceChanges, { same: 1, replace: 1 });
    assert.deepEqual(recorder.steps, ["delete-replaced", "replace", "create-replacement"]);
    assert.notEqual(await assertOneRecordedTemplate(), createdAt, "a new template was created under the same name");
  });
});
