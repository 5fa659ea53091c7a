/**
 * Through the real engine: a template pasted back from `az image builder show` (read-only members included) deploys
 * with one warning naming them, a tag change while its autoRun build runs waits for the build instead of failing, and
 * a provisioning the service fails (the identity may not read the source) fails the up with what to grant, leaves
 * nothing behind, and converges on the next up once granted. And a refresh of unchanged templates shows no change, and
 * the up after it writes nothing, for every example, the maximal fixture (as written, and without every member the
 * service fills in) and every official 2025-10-01 request example, against an emulator that fills those members in as
 * the service does.
 */
import * as assert from "node:assert/strict";
import { withoutMarker } from "../../provider/image-template/ownership";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { PulumiFn } from "@pulumi/pulumi/automation";
import type { EngineStack } from "./helpers/engine-stack";
import { argsFromArmTemplate, ImageTemplate } from "pulumi-azure-imagebuilder";
import { templateArgs } from "../fixtures/template-args";
import { stepBuildsOnReads } from "../helpers/build-clock";
import { validMaximalArgs } from "../unit/fixtures/args";
import { ENSURE_TIMEOUT_MS, pulumiBinDir } from "./helpers/engine";
import { DEPLOYABLE_EXAMPLES, EXAMPLES_DIR } from "./helpers/examples";
import { startEngineSuite, templates, type EngineSuite } from "./helpers/stacks";

const RG = "rg-answers";
const HOUR = 3_600_000;
const PASTED = path.resolve(__dirname, "../provider/fixtures/arm/linux-show-2024-02-01.resource.json");
const WARNING =
  "ignoring read-only provisioningState, lastRunStatus, exactStagingResourceGroup, source.exactVersion: the service sets these, so they are never sent or compared; remove them from the template to silence this warning";

function program(subscriptionId: string, tags: Record<string, string>): PulumiFn {
  return async () => {
    const json = JSON.parse(readFileSync(PASTED, "utf8").replaceAll("{subscription-id}", subscriptionId));
    const template = new ImageTemplate("pasted", {
      ...argsFromArmTemplate(json),
      resourceGroupName: RG,
      autoRun: { state: "Enabled" },
      tag: tags,
    });
    return { templateId: template.id, tags: template.tag };
  };
}

describe("the service's answers through the Pulumi engine", function () {
  this.timeout(5 * 60_000);
  let suite: EngineSuite;
  let stack: EngineStack;

  const up = async () => {
    const lines: string[] = [];
    /** What the provider said on the template's own row (issue 26), in order. */
    const rowLines: string[] = [];
    const result = await stack.up({
      onOutput: (chunk) => lines.push(...chunk.split("\n")),
      onEvent: (e) => {
        const d = e.diagnosticEvent;
        if (d?.urn?.endsWith("::pasted")) rowLines.push(d.message.trimEnd());
      },
    });
    return { result, lines, rowLines };
  };

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    await pulumiBinDir();
    suite = await startEngineSuite();
    stack = await suite.inlineStack("e2e-answers", "dev", program(suite.emulator.subscriptionId, { stage: "dev" }));
  });
  after(async () => {
    await suite?.tearDown();
  });

  it("a pasted template deploys; the engine shows one warning line on the resource naming its read-only members, none reach state", async () => {
    // An hour of the emulator's clock, which moves only when told: the next up finds the autoRun build still running.
    await suite.emulator.admin.setTiming({ buildDurationMs: HOUR });
    const { result, lines } = await up();
    assert.deepEqual(result.summary.resourceChanges, { create: 2 });
    const warnings = lines.filter((l) => l.includes("ignoring read-only"));
    assert.ok(warnings.length > 0, lines.join("\n"));
    for (const w of warnings) assert.ok(w.endsWith(`warning: ${WARNING}`), w);
    assert.ok(
      warnings.some((w) => w.includes("ImageTemplate pasted ")),
      "shown on the resource's row",
    );
    const resources = (await stack.exportStack()).deployment.resources as {
      type: string;
      inputs: Record<string, unknown>;
    }[];
    const inputs = resources.find((r) => r.type.endsWith(":ImageTemplate"))!.inputs;
    for (const k of ["provisioningState", "lastRunStatus", "exactStagingResourceGroup"])
      assert.equal(inputs[k], undefined);
    assert.equal((inputs.source as Record<string, unknown>).exactVersion, undefined);
  });

  it("a tag change during the autoRun build waits for the build, with its progress, then applies", async () => {
    const [held] = await templates(suite.emulator);
    const running = (held.properties as { lastRunStatus?: { runState: string } }).lastRunStatus?.runState;
    assert.equal(running, "Running", "the autoRun build is still running");
    await suite.emulator.admin.clearRequests();
    stack.workspace.program = program(suite.emulator.subscriptionId, { stage: "prod" });
    // Once the service has refused the change, the build moves on a quarter at a time as the provider reads it.
    const refused = async () =>
      (await suite.emulator.admin.requests()).some((r) => r.method === "PATCH" && r.status === 409);
    const clock = stepBuildsOnReads(suite.emulator, HOUR / 4, refused);
    const { result, rowLines: progress } = await up().finally(() => clock.stop());
    assert.deepEqual(result.summary.resourceChanges, { same: 1, update: 1 });
    assert.deepEqual(result.outputs.tags.value, { stage: "prod" });
    const order = [
      "the service refuses the change of tag while a build runs: waiting for the build",
      "build Running",
      "build Succeeded; applying the change of tag",
    ];
    const at = order.map((text) => progress.findIndex((l) => l.includes(text)));
    assert.ok(
      at.every((i, k) => i >= 0 && (k === 0 || i > at[k - 1])),
      `progress out of order:\n${progress.join("\n")}`,
    );
    const patches = (await suite.emulator.admin.requests()).filter((r) => r.method === "PATCH").map((r) => r.status);
    assert.deepEqual(patches, [409, 202]);
    assert.deepEqual(withoutMarker((await templates(suite.emulator))[0].tags), { stage: "prod" });
    await suite.emulator.admin.setTiming({ buildDurationMs: 600 });
    await stack.destroy();
    assert.deepEqual(await templates(suite.emulator), []);
  });

  it("an identity that may not read the source image: the up fails saying what to grant, nothing is left; granted, the next up converges", async () => {
    const emu = suite.emulator;
    const args = templateArgs(emu.subscriptionId, RG, { imageTemplateName: "denied" });
    const image = `/subscriptions/${emu.subscriptionId}/resourceGroups/rg-images/providers/Microsoft.Compute/images/base`;
    const identity = args.identityUserAssignedIdentity![0];
    const denied = await suite.inlineStack("e2e-answers-denied", "dev", async () => {
      const template = new ImageTemplate("denied", { ...args, source: { type: "ManagedImage", imageId: image } });
      return { state: template.provisioningState };
    });
    await emu.admin.setIdentityAccess(identity, image, false);
    const output: string[] = [];
    await assert.rejects(denied.up({ onOutput: (chunk) => output.push(chunk) }));
    const shown = output.join("");
    assert.ok(shown.includes(`Not authorized to access the resource: ${image}.`), shown);
    assert.ok(
      shown.includes(
        `The failed template was deleted; grant the template's identity ${identity} read on ${image} (the Reader role), e.g. az role assignment create --assignee-object-id $(az identity show --ids ${identity} --query principalId -o tsv) --role Reader --scope ${image}; then run pulumi up again.`,
      ),
      shown,
    );
    const recorded = (await denied.exportStack()).deployment.resources as { type: string }[] | undefined;
    assert.deepEqual(
      (recorded ?? []).filter((r) => r.type.endsWith(":ImageTemplate")),
      [],
      "nothing recorded: nothing exists",
    );
    assert.deepEqual(
      (await templates(emu)).filter((t) => t.name === "denied"),
      [],
    );

    await emu.admin.setIdentityAccess(identity, image, true);
    const granted = await denied.up();
    assert.deepEqual(granted.summary.resourceChanges, { create: 1, same: 1 });
    assert.equal(granted.outputs.state.value, "Succeeded");
    assert.equal((await denied.preview()).changeSummary?.update ?? 0, 0);
    await denied.destroy();
  });
});

const OFFICIAL_DIR = path.resolve(__dirname, "../../reference/imagebuilder-2025-10-01/examples");
type Json = Record<string, unknown>;
const official = (file: string): { imageTemplateName: string; parameters: Json } =>
  JSON.parse(readFileSync(path.join(OFFICIAL_DIR, file), "utf8")).parameters;
const OFFICIAL = readdirSync(OFFICIAL_DIR)
  .map((file) => ({ file, example: JSON.parse(readFileSync(path.join(OFFICIAL_DIR, file), "utf8")) }))
  .filter(({ example }) => example.operationId.startsWith("VirtualMachineImageTemplates_"));
const CREATES = OFFICIAL.filter(({ example }) => example.operationId === "VirtualMachineImageTemplates_CreateOrUpdate");
const UPDATES = OFFICIAL.filter(({ example }) => example.operationId === "VirtualMachineImageTemplates_Update");

/** The maximal fixture without any member the service fills in when left out. */
function unfilledMaximal(): Json {
  const args = validMaximalArgs() as Json & {
    customize: Json[];
    distribute: Json[];
    validate: { inVMValidations: Json[] };
  };
  for (const step of [...args.customize, ...args.validate.inVMValidations]) {
    for (const k of ["sha256Checksum", "restartCommand", "runElevated", "runAsSystem"]) delete step[k];
  }
  for (const d of args.distribute) delete d.artifactTags;
  return args;
}

describe("refresh of unchanged templates through the Pulumi engine: no change, and the next up writes nothing", function () {
  this.timeout(10 * 60_000);
  let suite: EngineSuite;
  let stack: EngineStack;
  // Every example that deploys against the emulator (helpers/examples.ts says why the others do not).
  const examples = DEPLOYABLE_EXAMPLES.map((name) => path.join(EXAMPLES_DIR, name, "index.ts"));

  /**
   * One stack holds them all: each example's program (loaded afresh on every run, as the language host would), the
   * maximal fixture twice, each official template request, and per official update request a template created from
   * the Linux request and then (`updated`) changed by it, its placeholders filled in.
   */
  function program(subscriptionId: string, updated: boolean): PulumiFn {
    const sub = (json: Json) => JSON.parse(JSON.stringify(json).replaceAll("{subscription-id}", subscriptionId));
    const placeholders: Record<string, string> = {
      "{updated_vmsize}": "Standard_D4s_v5",
      // The subnet of the virtual network the example's containerInstanceSubnetId names.
      "{updated_aci_subnet}": `/subscriptions/${subscriptionId}/resourceGroups/myResourceGroup/providers/Microsoft.Network/virtualNetworks/vnetname/subnets/build`,
    };
    const fill = (json: Json) =>
      JSON.parse(
        Object.entries(placeholders).reduce((text, [k, v]) => text.replaceAll(k, v), JSON.stringify(sub(json))),
      );
    return async () => {
      for (const file of examples) {
        delete require.cache[require.resolve(file)];
        require(file);
      }
      const maximal = { ...validMaximalArgs(), subscriptionId, resourceGroupName: "rg-maximal" };
      new ImageTemplate("maximal", { ...maximal, imageTemplateName: "maximal" } as never);
      new ImageTemplate("maximal-unfilled", {
        ...unfilledMaximal(),
        subscriptionId,
        resourceGroupName: "rg-maximal",
        imageTemplateName: "maximal-unfilled",
      } as never);
      for (const { file, example } of CREATES) {
        const name = file.replace(/\.json$/, "");
        new ImageTemplate(name, {
          ...argsFromArmTemplate(sub(example.parameters.parameters)),
          resourceGroupName: "rg-official",
          imageTemplateName: name,
        });
      }
      const linux = official("CreateImageTemplateLinux.json").parameters as Json & { properties: Json };
      for (const { file, example } of UPDATES) {
        const change = fill(example.parameters.parameters) as Json & { properties?: Json };
        const body = updated
          ? { ...linux, ...change, properties: { ...linux.properties, ...change.properties } }
          : linux;
        const name = file.replace(/\.json$/, "");
        new ImageTemplate(name, {
          ...argsFromArmTemplate(sub(body)),
          resourceGroupName: "rg-official",
          imageTemplateName: name,
        });
      }
    };
  }

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    await pulumiBinDir();
    suite = await startEngineSuite();
    stack = await suite.inlineStack("e2e-refresh", "dev", program(suite.emulator.subscriptionId, false));
    // The examples find their subscription as a program deployed with azure-native does.
    await stack.setConfig("azure-native:subscriptionId", { value: suite.emulator.subscriptionId });
  });
  after(async () => {
    await suite?.tearDown();
  });

  it("covers every example, both maximal variants and every official template request", () => {
    assert.ok(examples.length >= 4, examples.join(", "));
    assert.deepEqual(
      OFFICIAL.map(({ file }) => file)
        .filter((f) => /^(Create|Update)ImageTemplate/.test(f))
        .sort(),
      [...CREATES, ...UPDATES].map(({ file }) => file).sort(),
    );
  });

  it("up, the official updates applied, refresh: preview --expect-no-changes passes and the next up sends no write", async () => {
    const created = await stack.up();
    const count = examples.length + 2 + CREATES.length + UPDATES.length;
    assert.deepEqual(created.summary.resourceChanges, { create: count + 1 });

    stack.workspace.program = program(suite.emulator.subscriptionId, true);
    const updated = await stack.up();
    assert.deepEqual(updated.summary.resourceChanges, { same: count + 1 - UPDATES.length, update: UPDATES.length });

    // The service has filled in what the programs left out: refresh must read it as no change.
    const held = await templates(suite.emulator);
    const steps = held.flatMap((t) => (t.properties as { customize?: Json[] }).customize ?? []);
    assert.ok(
      steps.some((s) => /^[0-9a-f]{64}$/.test(String(s.sha256Checksum))),
      "the emulator computed checksums",
    );

    const refreshed = await stack.refresh();
    assert.deepEqual(refreshed.summary.resourceChanges, { same: count + 1 });
    const preview = await stack.preview({ expectNoChanges: true });
    assert.deepEqual(preview.changeSummary, { same: count + 1 });

    await suite.emulator.admin.clearRequests();
    const again = await stack.up();
    assert.deepEqual(again.summary.resourceChanges, { same: count + 1 });
    const writes = (await suite.emulator.admin.requests()).filter((r) => r.kind === "arm" && r.method !== "GET");
    assert.deepEqual(writes, [], "no write after the refresh");
  });
});
