/**
 * examples/yaml, a Pulumi YAML program, through the real engine, the YAML language host and the azure-imagebuilder
 * plugin installed from its tarball, against the emulator: it creates and builds the template, updates it in place
 * (a PATCH, the same template), builds again when `release` changes, changes nothing on an unchanged up, and
 * destroys it. The plugin signs in with its own stack config (azure-imagebuilder:*), which stays out of the state, or
 * with the arguments of an explicit provider.
 */
import * as assert from "node:assert/strict";
import { cp, mkdtemp, readFile, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { engineStack, type EngineStack } from "./helpers/engine-stack";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator";
import { ENSURE_TIMEOUT_MS, newStateDir, pulumiBinDir, pulumiCommand, removeStateDir } from "./helpers/engine";
import { EXAMPLES_DIR } from "./helpers/examples";
import { installPluginTarball, pluginConfig, pluginEngineEnv } from "./helpers/plugin";
import { templates } from "./helpers/stacks";

const STACK = "dev";
const RG = "rg-yaml";
const OWNER_TAG = "pulumi-imagebuilder-owner";

describe("examples/yaml: a Pulumi YAML program through the plugin", function () {
  this.timeout(10 * 60_000);
  let emulator: TestEmulator;
  let stateDir: string;
  let stack: EngineStack;
  let rgId: string;
  const templateRequests = async (method: string, suffix = "") =>
    (await emulator.admin.requests()).filter(
      (r) => r.method === method && new RegExp(`/imageTemplates/[^/]+${suffix}$`, "i").test(r.path),
    );

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    await pulumiBinDir();
    emulator = await startTestEmulator();
    stateDir = await newStateDir();
    const envVars = await pluginEngineEnv(stateDir, emulator, false);
    await installPluginTarball(envVars);
    const workDir = await mkdtemp(path.join(stateDir, "yaml-"));
    await cp(path.join(EXAMPLES_DIR, "yaml"), workDir, { recursive: true });
    stack = engineStack(
      await LocalWorkspace.createOrSelectStack(
        { stackName: STACK, workDir },
        { pulumiCommand: await pulumiCommand(), envVars },
      ),
    );
    rgId = `/subscriptions/${emulator.subscriptionId}/resourceGroups/${RG}`;
    await stack.setAllConfig({
      ...pluginConfig(emulator),
      resourceGroupName: { value: RG },
      resourceGroupId: { value: rgId },
    });
  });

  after(async () => {
    await emulator?.stop();
    if (stateDir) await removeStateDir(stateDir);
  });

  it("creates and builds the template; the state holds the plugin's resource and no secret", async () => {
    const up = await stack.up();
    assert.deepEqual(up.summary.resourceChanges, { create: 2 }, up.stdout);
    const [template] = await templates(emulator);
    assert.equal(template.name, up.outputs.templateName.value);
    assert.match(template.name, /^ubuntu-web-[0-9a-f]{7}$/);
    assert.match(template.tags?.[OWNER_TAG] ?? "", /^[0-9a-f]{32}\.[0-9a-f]{16}$/);
    assert.equal(up.outputs.provisioningState.value, "Succeeded");
    assert.equal(up.outputs.lastBuildState.value, "Succeeded");
    assert.equal(up.outputs.imageId.value, `${rgId}/providers/Microsoft.Compute/images/ubuntu-web`);
    assert.equal((await templateRequests("POST", "/run")).length, 1);
    // The build's lasting lines are diagnostics of the template's own row: the engine hands the plugin the URN.
    const diagnostics = up.stdout.slice(up.stdout.indexOf("Diagnostics:"));
    assert.match(diagnostics, /ImageTemplate \(ubuntu-web\):\n(?: {4}.*\n)*? {4}image build requested/, up.stdout);

    const state = await stack.exportStack();
    const types = state.deployment.resources.map((r: { type: string }) => r.type);
    assert.ok(types.includes("azure-imagebuilder:index:ImageTemplate"), types.join(", "));
    assert.ok(types.includes("pulumi:providers:azure-imagebuilder"), types.join(", "));
    const file = path.join(stateDir, "backend", ".pulumi", "stacks", "imagebuilder-yaml", `${STACK}.json`);
    const raw = await readFile(file, "utf8");
    assert.ok(!raw.includes(emulator.clientSecret), "the client secret is in the state file");
  });

  it("updates the template in place when a tag changes: one PATCH, no PUT, no build", async () => {
    await emulator.admin.clearRequests();
    const before = (await templates(emulator))[0];
    await stack.setConfig("environment", { value: "prod" });
    const up = await stack.up();
    assert.deepEqual(up.summary.resourceChanges, { update: 1, same: 1 }, up.stdout);
    const [after] = await templates(emulator);
    assert.equal(after.id, before.id);
    assert.equal(after.tags?.environment, "prod");
    assert.equal(after.tags?.[OWNER_TAG], before.tags?.[OWNER_TAG]);
    assert.equal((await templateRequests("PATCH")).length, 1);
    assert.equal((await templateRequests("PUT")).length, 0);
    assert.equal((await templateRequests("POST", "/run")).length, 0);
  });

  it("builds again when release changes, and changes nothing on an unchanged up", async () => {
    await emulator.admin.clearRequests();
    await stack.setConfig("release", { value: "2025.2" });
    const built = await stack.up();
    assert.deepEqual(built.summary.resourceChanges, { update: 1, same: 1 }, built.stdout);
    assert.equal((await templateRequests("POST", "/run")).length, 1);
    assert.equal(built.outputs.lastBuildState.value, "Succeeded");

    await emulator.admin.clearRequests();
    const unchanged = await stack.up();
    assert.deepEqual(unchanged.summary.resourceChanges, { same: 2 }, unchanged.stdout);
    assert.deepEqual(
      (await emulator.admin.requests()).filter((r) => r.method !== "GET"),
      [],
    );
  });

  it("destroys the template", async () => {
    await stack.destroy();
    assert.deepEqual(await templates(emulator), []);
    await stack.workspace.removeStack(STACK);
  });

  it("an explicit provider takes its settings from its arguments, with none in the stack's azure-imagebuilder:*", async () => {
    const workDir = await mkdtemp(path.join(stateDir, "explicit-"));
    await writeFile(path.join(workDir, "Pulumi.yaml"), explicitProviderProgram(rgId));
    const explicit = engineStack(
      await LocalWorkspace.createOrSelectStack(
        { stackName: STACK, workDir },
        { pulumiCommand: await pulumiCommand(), envVars: await pluginEngineEnv(stateDir, emulator, false) },
      ),
    );
    await explicit.setAllConfig({
      tenantId: { value: emulator.tenantId },
      clientId: { value: emulator.clientId },
      clientSecret: { value: emulator.clientSecret, secret: true },
      subscriptionId: { value: emulator.subscriptionId },
    });
    const up = await explicit.up();
    assert.deepEqual(up.summary.resourceChanges, { create: 3 }, up.stdout);
    const [template] = await templates(emulator);
    assert.equal(template.id.toLowerCase(), String(up.outputs.templateId.value).toLowerCase());
    await explicit.destroy();
    assert.deepEqual(await templates(emulator), []);
    await explicit.workspace.removeStack(STACK);
  });
});

/** A program whose template uses an explicit provider, its settings the program's own config. */
function explicitProviderProgram(rgId: string): string {
  return `name: imagebuilder-explicit
runtime: yaml
config:
  tenantId: { type: string }
  clientId: { type: string }
  clientSecret: { type: string, secret: true }
  subscriptionId: { type: string }
resources:
  builder:
    type: pulumi:providers:azure-imagebuilder
    properties:
      tenantId: \${tenantId}
      clientId: \${clientId}
      clientSecret: \${clientSecret}
      subscriptionId: \${subscriptionId}
      location: westus
  web:
    type: azure-imagebuilder:index:ImageTemplate
    properties:
      resourceGroupName: ${RG}
      identityUserAssignedIdentity:
        - ${rgId}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aib-builder
      source: { type: PlatformImage, publisher: Canonical, offer: ubuntu-24_04-lts, sku: server, version: latest }
      distribute:
        - type: ManagedImage
          runOutputName: web
          imageId: ${rgId}/providers/Microsoft.Compute/images/web
          location: westus
    options:
      provider: \${builder}
outputs:
  templateId: \${web.id}
`;
}
