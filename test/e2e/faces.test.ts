/**
 * The two faces of one core, run side by side on the same emulator: the dynamic ImageTemplate from an inline
 * TypeScript program and the plugin's azure-imagebuilder:index:ImageTemplate from a YAML program, each in its own
 * resource group, through create, an in-place tag change, a replacement (a changed source) and destroy. After each
 * step both made the same write requests to ARM, the engine took the same update-or-replace decision, and the
 * template's outputs are the same (resource group and service-made GUIDs aside).
 */
import * as assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { engineStack, type EngineStack, type UpRunResult } from "./helpers/engine-stack";
import { ImageTemplate, type ImageTemplateArgs } from "pulumi-azure-imagebuilder";
import type { ImageTemplateInputs } from "../../provider/image-template/codecs/args";
import { OUTPUT_KEYS, ARG_ENTRIES } from "../../provider/image-template/properties";
import { templateArgs } from "../fixtures/template-args";
import { ENSURE_TIMEOUT_MS, pulumiBinDir, pulumiCommand } from "./helpers/engine";
import { PLUGIN_BIN_DIR } from "./helpers/plugin";
import { startEngineSuite, type EngineSuite } from "./helpers/stacks";

const STACK = "dev";
const NAME = "web";
const FACES = { dynamic: "rg-dynamic", plugin: "rg-plugin" } as const;
type Face = keyof typeof FACES;
const COMPARED = [...ARG_ENTRIES.map(([k]) => k), ...OUTPUT_KEYS];

interface Step {
  sku: string;
  tag: Record<string, string>;
}

const argsOf = (subscriptionId: string, face: Face, step: Step): ImageTemplateInputs => {
  const base = templateArgs(subscriptionId, FACES[face], { imageTemplateName: NAME, tag: step.tag });
  return { ...base, source: { ...base.source, sku: step.sku } } as ImageTemplateInputs;
};

/** The YAML program of the plugin face: JSON is YAML, so the same arguments object is written as it is. */
const yamlProgram = (args: ImageTemplateInputs) =>
  JSON.stringify({
    name: "faces-plugin",
    runtime: "yaml",
    resources: { [NAME]: { type: "azure-imagebuilder:index:ImageTemplate", properties: args } },
  });

/** A request or an output with the face's resource group and the service's GUIDs made alike. */
const neutral = (face: Face, text: string) =>
  text
    .replaceAll(FACES[face], "rg")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<guid>");

describe("the dynamic resource and the plugin: one core, two faces", function () {
  this.timeout(15 * 60_000);
  let suite: EngineSuite;
  let dynamic: EngineStack;
  let plugin: EngineStack;
  let pluginDir: string;
  let step: Step = { sku: "server", tag: { env: "dev" } };

  const writesOf = async (face: Face) =>
    (await suite.emulator.admin.requests())
      .filter((r) => r.kind === "arm" && r.method !== "GET" && r.path.toLowerCase().includes(`/${FACES[face]}/`))
      .map((r) => neutral(face, `${r.method} ${r.path}`.toLowerCase()));

  const outputsOf = async (face: Face, stack: EngineStack) => {
    const state = await stack.exportStack();
    const template = state.deployment.resources.find((r: { type: string }) => r.type.endsWith("ImageTemplate"));
    const outputs = (template?.outputs ?? {}) as Record<string, unknown>;
    return Object.fromEntries(
      COMPARED.filter((k) => outputs[k] !== undefined).map((k) => [k, neutral(face, JSON.stringify(outputs[k]))]),
    );
  };

  /** One `up` of both faces with `next`; returns what each did. */
  const upBoth = async (next: Step) => {
    step = next;
    const subscriptionId = suite.emulator.subscriptionId;
    dynamic.workspace.program = async () => {
      const template = new ImageTemplate(NAME, argsOf(subscriptionId, "dynamic", step) as ImageTemplateArgs);
      return { id: template.id };
    };
    await writeFile(path.join(pluginDir, "Pulumi.yaml"), yamlProgram(argsOf(subscriptionId, "plugin", step)));
    await suite.emulator.admin.clearRequests();
    const results: Record<Face, UpRunResult> = { dynamic: await dynamic.up(), plugin: await plugin.up() };
    return results;
  };

  const assertAlike = async (results: Record<Face, UpRunResult>, changes: Record<string, number>) => {
    assert.deepEqual(results.dynamic.summary.resourceChanges, changes, results.dynamic.stdout);
    assert.deepEqual(results.plugin.summary.resourceChanges, changes, results.plugin.stdout);
    assert.deepEqual(await writesOf("plugin"), await writesOf("dynamic"));
    const outputs = await outputsOf("plugin", plugin);
    assert.deepEqual(outputs, await outputsOf("dynamic", dynamic));
    assert.equal(outputs.provisioningState, '"Succeeded"');
    assert.equal(outputs.imageTemplateName, `"${NAME}"`);
    assert.ok(Object.keys(outputs).length >= 10, Object.keys(outputs).join(", "));
  };

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    await pulumiBinDir();
    suite = await startEngineSuite();
    const subscriptionId = suite.emulator.subscriptionId;
    dynamic = await suite.inlineStack("faces-dynamic", STACK, async () => {
      new ImageTemplate(NAME, argsOf(subscriptionId, "dynamic", step) as ImageTemplateArgs);
    });
    pluginDir = await mkdtemp(path.join(suite.stateDir, "faces-plugin-"));
    await writeFile(path.join(pluginDir, "Pulumi.yaml"), yamlProgram(argsOf(subscriptionId, "plugin", step)));
    const envVars = { ...suite.envVars, PATH: `${suite.envVars.PATH}${path.delimiter}${PLUGIN_BIN_DIR}` };
    plugin = engineStack(
      await LocalWorkspace.createOrSelectStack(
        { stackName: STACK, workDir: pluginDir },
        { pulumiCommand: await pulumiCommand(), envVars },
      ),
    );
  });

  after(async () => {
    await suite?.tearDown();
  });

  it("create: the same PUT, the same outputs", async () => {
    const results = await upBoth(step);
    await assertAlike(results, { create: 2 });
    assert.deepEqual(await writesOf("plugin"), [
      `put /subscriptions/<guid>/resourcegroups/rg/providers/microsoft.virtualmachineimages/imagetemplates/${NAME}`,
    ]);
  });

  it("a tag change: the same PATCH in place", async () => {
    await assertAlike(await upBoth({ ...step, tag: { env: "prod" } }), { update: 1, same: 1 });
  });

  it("a new source: the same replacement, deleting first (a fixed name)", async () => {
    const results = await upBoth({ ...step, sku: "server-gen1" });
    await assertAlike(results, { replace: 1, same: 1 });
    assert.deepEqual(
      (await writesOf("plugin")).map((r) => r.split(" ")[0]),
      ["delete", "put"],
    );
  });

  it("destroy: the same DELETE", async () => {
    await suite.emulator.admin.clearRequests();
    await dynamic.destroy();
    await plugin.destroy();
    assert.deepEqual(await writesOf("plugin"), await writesOf("dynamic"));
    assert.equal((await writesOf("plugin")).length, 1);
  });
});
