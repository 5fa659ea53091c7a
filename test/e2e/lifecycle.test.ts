/**
 * ImageTemplate through the real Pulumi engine and CLI (Automation API, file backend) against a fresh emulator:
 * create, no-op preview, in-place tag update, replacement in both orders, drift on refresh, out-of-band delete,
 * adoption, destroy, and what the state file on disk may and may not contain.
 * The cases run in order on one stack, as a user's successive `pulumi up`s would.
 */
import * as assert from "node:assert/strict";
import { OWNER_TAG, withoutMarker } from "../../provider/image-template/ownership";
import * as pulumi from "@pulumi/pulumi";
import type { EngineEvent, OpType, PulumiFn } from "@pulumi/pulumi/automation";
import type { EngineStack, UpRunResult } from "./helpers/engine-stack";
import { ImageTemplate, type ImageTemplateArgs } from "pulumi-azure-imagebuilder";
import type { ImageTemplateInputs } from "../../provider/image-template/codecs/args";
import { toImageTemplate } from "../../provider/image-template/mapping";
import { ENSURE_TIMEOUT_MS, pulumiBinDir } from "./helpers/engine";
import { startEngineSuite, templates, type EngineSuite } from "./helpers/stacks";

const PROJECT = "e2e-lifecycle";
const STACK = "dev";
const RG = "rg-e2e";
const FIXED_NAME = "e2e-fixed-name";
const ADOPTED_NAME = "e2e-made-elsewhere";
const SECRET_LINE = "echo registry-token=s3cr3t-e2e-value";

interface Spec {
  sku: string;
  tags: Record<string, string>;
  /** Also declare ADOPTED_NAME, an existing template, with adoptExisting. */
  adopt?: boolean;
}

/** The template's arguments; `secret` wraps the customizer line that must stay secret. */
function templateArgs(
  subscriptionId: string,
  spec: Spec,
  secret: (line: string) => pulumi.Input<string> = pulumi.secret,
) {
  const rgId = `/subscriptions/${subscriptionId}/resourceGroups/${RG}`;
  return {
    resourceGroupName: RG,
    location: "westus2",
    identityType: "UserAssigned",
    identityUserAssignedIdentity: [`${rgId}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aib`],
    source: {
      type: "PlatformImage",
      publisher: "Canonical",
      offer: "ubuntu-24_04-lts",
      sku: spec.sku,
      version: "latest",
    },
    customize: [{ type: "Shell" as const, name: "configure", inline: ["sudo apt-get update", secret(SECRET_LINE)] }],
    distribute: [
      {
        type: "ManagedImage",
        runOutputName: "image",
        imageId: `${rgId}/providers/Microsoft.Compute/images/e2e-${spec.sku}`,
        location: "westus2",
      },
    ],
    tag: spec.tags,
  } satisfies ImageTemplateArgs;
}

/** One autonamed template and one with a fixed name, both from the same spec. */
function program(subscriptionId: string, spec: Spec): PulumiFn {
  return async () => {
    const auto = new ImageTemplate("auto", templateArgs(subscriptionId, spec));
    const fixed = new ImageTemplate("fixed", { ...templateArgs(subscriptionId, spec), imageTemplateName: FIXED_NAME });
    if (spec.adopt) {
      new ImageTemplate("adopted", {
        ...templateArgs(subscriptionId, spec),
        imageTemplateName: ADOPTED_NAME,
        tag: { adopted: "yes" },
        adoptExisting: true,
      });
    }
    return {
      autoName: auto.imageTemplateName,
      autoId: auto.id,
      fixedId: fixed.id,
      provisioningState: auto.provisioningState,
      sourceExactVersion: auto.sourceExactVersion,
    };
  };
}

/** An up's change counts; on a mismatch the message carries what the engine printed, to tell why. */
function assertChanges(result: UpRunResult, expected: Record<string, number>): void {
  const actual = result.summary.resourceChanges;
  const printed = `${result.stdout}\n${result.stderr}`;
  assert.deepEqual(
    actual,
    expected,
    `changes ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}:\n${printed}`,
  );
}

/** The steps the engine announced, per resource name, in order. */
function stepRecorder(): { onEvent: (e: EngineEvent) => void; steps: Map<string, OpType[]> } {
  const steps = new Map<string, OpType[]>();
  return {
    steps,
    onEvent: (e) => {
      const meta = e.resourcePreEvent?.metadata;
      if (!meta || !meta.type.endsWith(":ImageTemplate")) return;
      const name = meta.urn.split("::").pop() as string;
      steps.set(name, [...(steps.get(name) ?? []), meta.op]);
    },
  };
}

describe("ImageTemplate lifecycle through the Pulumi engine", function () {
  this.timeout(5 * 60_000);
  let suite: EngineSuite;
  let stack: EngineStack;
  let subscriptionId: string;
  let spec: Spec;

  const deploy = (next: Spec) => {
    spec = next;
    stack.workspace.program = program(subscriptionId, spec);
  };
  const templateId = (name: string) =>
    `/subscriptions/${subscriptionId}/resourceGroups/${RG}/providers/Microsoft.VirtualMachineImages/imageTemplates/${name}`;
  const byName = async (name: string) => (await templates(suite.emulator)).find((t) => t.name === name);
  const imageTemplatesInState = async () =>
    (await stack.exportStack()).deployment.resources.filter((r: { type: string }) => r.type.endsWith(":ImageTemplate"));

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    await pulumiBinDir();
    suite = await startEngineSuite();
    subscriptionId = suite.emulator.subscriptionId;
    stack = await suite.inlineStack(PROJECT, STACK, program(subscriptionId, { sku: "server", tags: {} }));
    deploy({ sku: "server", tags: { env: "dev" } });
  });

  after(async () => {
    await suite?.tearDown();
  });

  it("up creates both templates with the documented outputs", async () => {
    const result = await stack.up();
    assertChanges(result, { create: 3 });
    const { autoName, autoId, fixedId, provisioningState, sourceExactVersion } = result.outputs;
    assert.match(autoName.value, /^auto-[0-9a-z]+$/);
    assert.equal(autoId.value, templateId(autoName.value));
    assert.equal(fixedId.value, templateId(FIXED_NAME));
    assert.equal(provisioningState.value, "Succeeded");
    assert.match(sourceExactVersion.value, /^\d+\.\d+\.\d+$/);
    const held = await templates(suite.emulator);
    assert.deepEqual(held.map((t) => t.name).sort(), [autoName.value, FIXED_NAME].sort());
    for (const t of held) {
      assert.equal(t.properties.provisioningState, "Succeeded");
      assert.deepEqual(withoutMarker(t.tags), { env: "dev" });
    }
  });

  it("a second preview plans no change, without a single request to Azure", async () => {
    await suite.emulator.admin.clearRequests();
    const preview = await stack.preview();
    assert.deepEqual(preview.changeSummary, { same: 3 });
    assert.deepEqual(await suite.emulator.admin.requests(), []);
  });

  it("a tag change previews as an update in place showing the tag diff, and up patches the same template", async () => {
    const before = await byName(FIXED_NAME);
    deploy({ ...spec, tags: { env: "prod", team: "images" } });
    const recorder = stepRecorder();
    const preview = await stack.preview({ diff: true, onEvent: recorder.onEvent });
    assert.deepEqual(preview.changeSummary, { same: 1, update: 2 });
    assert.deepEqual(recorder.steps.get("auto"), ["update"]);
    assert.match(preview.stdout, /~ tag\s*:/);
    assert.match(preview.stdout, /env\s*:\s*"dev" => "prod"/);
    assert.match(preview.stdout, /\+ team\s*:\s*"images"/);

    const result = await stack.up();
    assertChanges(result, { same: 1, update: 2 });
    const after = await byName(FIXED_NAME);
    assert.deepEqual(withoutMarker(after?.tags), { env: "prod", team: "images" });
    assert.equal(
      after?.systemData?.createdAt,
      before?.systemData?.createdAt,
      "the template was patched, not recreated",
    );
  });

  it("a source change replaces: delete-before-replace for the fixed name, create-before-delete when autonamed", async () => {
    const oldAutoName = (await stack.outputs()).autoName.value as string;
    deploy({ ...spec, sku: "server-gen2" });
    const planned = stepRecorder();
    const preview = await stack.preview({ onEvent: planned.onEvent });
    assert.deepEqual(preview.changeSummary, { same: 1, replace: 2 });

    const done = stepRecorder();
    const result = await stack.up({ onEvent: done.onEvent });
    assertChanges(result, { same: 1, replace: 2 });
    for (const steps of [planned.steps, done.steps]) {
      assert.deepEqual(steps.get("fixed"), ["delete-replaced", "replace", "create-replacement"]);
      assert.deepEqual(steps.get("auto"), ["create-replacement", "replace", "delete-replaced"]);
    }
    const newAutoName = result.outputs.autoName.value as string;
    assert.notEqual(newAutoName, oldAutoName, "an autonamed replacement gets a new name");
    const held = await templates(suite.emulator);
    assert.deepEqual(held.map((t) => t.name).sort(), [newAutoName, FIXED_NAME].sort());
    for (const t of held) assert.equal(t.properties.source.sku, "server-gen2");
  });

  it("refresh records a template changed out of band, and the next up puts it back", async () => {
    const current = await byName(FIXED_NAME);
    assert.ok(current);
    // Someone edits the tags out of band and keeps the ownership marker (a portal edit of the tags it shows): drift the
    // next up puts back. Removing the marker too is refused instead (test/reliability/two-stacks.test.ts).
    const tags = current.tags as Record<string, string>;
    await suite.emulator.admin.putRaw(current.id, {
      ...current,
      tags: { [OWNER_TAG]: tags[OWNER_TAG], env: "hotfix" },
    });

    const refresh = await stack.refresh();
    assert.equal(refresh.summary.resourceChanges?.update, 1);
    const fixed = (await imageTemplatesInState()).find((r: { urn: string }) => r.urn.endsWith("::fixed"));
    assert.deepEqual(fixed.outputs.tag, { env: "hotfix" });

    const preview = await stack.preview({ diff: true });
    assert.deepEqual(preview.changeSummary, { same: 2, update: 1 });
    await stack.up();
    assert.deepEqual(withoutMarker((await byName(FIXED_NAME))?.tags), spec.tags);
  });

  it("refresh drops a template deleted out of band, and the next up creates it again", async () => {
    await suite.emulator.admin.deleteRaw(templateId(FIXED_NAME));
    const refresh = await stack.refresh();
    assert.equal(refresh.summary.resourceChanges?.delete, 1);
    const urns = (await imageTemplatesInState()).map((r: { urn: string }) => r.urn.split("::").pop());
    assert.deepEqual(urns, ["auto"]);

    const result = await stack.up();
    assertChanges(result, { same: 2, create: 1 });
    assert.equal((await byName(FIXED_NAME))?.properties.provisioningState, "Succeeded");
  });

  it("the state file holds no credential, and the secret customizer line only as ciphertext", async () => {
    const raw = await suite.rawState(PROJECT, STACK);
    assert.ok(raw.includes(FIXED_NAME), "sanity: this is the stack's checkpoint");
    assert.ok(!raw.includes(suite.emulator.clientSecret), "the client secret reached the state file");
    assert.doesNotMatch(raw, /eyJ[\w-]+\.eyJ[\w-]+\./, "something shaped like a JWT reached the state file");
    assert.ok(!raw.includes("s3cr3t-e2e-value"), "the secret customizer line is in plaintext");
    assert.match(raw, /"ciphertext"/);
  });

  it("adopts an existing template with adoptExisting, patching its tags instead of recreating it", async () => {
    const plain = templateArgs(subscriptionId, spec, (line) => line) as ImageTemplateInputs;
    const existing = await suite.emulator
      .client()
      .virtualMachineImageTemplates.createOrUpdate(RG, ADOPTED_NAME, toImageTemplate(plain), suite.emulator.poll);
    deploy({ ...spec, adopt: true });
    const result = await stack.up();
    assertChanges(result, { same: 3, create: 1 });
    const adopted = await byName(ADOPTED_NAME);
    assert.equal(adopted?.systemData?.createdAt, existing.systemData?.createdAt?.toISOString(), "not recreated");
    assert.deepEqual(withoutMarker(adopted?.tags), { adopted: "yes" });
    assert.equal((await templates(suite.emulator)).length, 3);
  });

  it("destroy leaves the emulator without templates", async () => {
    await stack.destroy();
    assert.deepEqual(await templates(suite.emulator), []);
  });
});
