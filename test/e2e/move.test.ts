/**
 * Moving a stack's template from the dynamic resource to the plugin without replacing it (README, Every language):
 * `pulumi state delete` forgets the dynamic resource (the template stays), and the first `up` of the program that
 * declares it with the plugin's type under the same name takes it back, as its ownership tag names this very
 * resource (both faces derive it from project, stack and name): one PATCH, no new template, no second build.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { promisify } from "node:util";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { engineStack } from "./helpers/engine-stack";
import { ImageTemplate, type ImageTemplateArgs } from "pulumi-azure-imagebuilder";
import { IMAGE_TEMPLATE_TYPE } from "../../provider/image-template/resource";
import { templateArgs } from "../fixtures/template-args";
import { ENSURE_TIMEOUT_MS, pulumiBinDir, pulumiCommand } from "./helpers/engine";
import { PLUGIN_BIN_DIR } from "./helpers/plugin";
import { startEngineSuite, templates, type EngineSuite } from "./helpers/stacks";

const run = promisify(execFile);
const PROJECT = "moved";
const STACK = "dev";
const NAME = "web";
const OWNER_TAG = "pulumi-imagebuilder-owner";

describe("moving a template from the dynamic resource to the plugin", function () {
  this.timeout(10 * 60_000);
  let suite: EngineSuite;

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    await pulumiBinDir();
    suite = await startEngineSuite();
  });

  after(async () => {
    await suite?.tearDown();
  });

  it("keeps the template and its build: state delete, then the plugin's program takes it back", async () => {
    const args = {
      ...templateArgs(suite.emulator.subscriptionId, "rg-move"),
      build: { when: "onCreate" },
    } as ImageTemplateArgs;
    const dynamic = await suite.inlineStack(PROJECT, STACK, async () => {
      new ImageTemplate(NAME, args);
    });
    assert.deepEqual((await dynamic.up()).summary.resourceChanges, { create: 2 });
    const [before] = await templates(suite.emulator);
    const runs = async () =>
      (await suite.emulator.admin.requests()).filter((r) => r.method === "POST" && r.path.endsWith("/run")).length;
    assert.equal(await runs(), 1);

    const workDir = await mkdtemp(path.join(suite.stateDir, "moved-"));
    const program = {
      name: PROJECT,
      runtime: "yaml",
      resources: { [NAME]: { type: "azure-imagebuilder:index:ImageTemplate", properties: args } },
    };
    await writeFile(path.join(workDir, "Pulumi.yaml"), JSON.stringify(program));
    const envVars = { ...suite.envVars, PATH: `${suite.envVars.PATH}${path.delimiter}${PLUGIN_BIN_DIR}` };
    const urn = `urn:pulumi:${STACK}::${PROJECT}::${IMAGE_TEMPLATE_TYPE}::${NAME}`;
    await run(path.join(await pulumiBinDir(), "pulumi"), ["state", "delete", urn, "--yes", "--stack", STACK], {
      cwd: workDir,
      env: { ...process.env, ...envVars },
    });
    const moved = engineStack(
      await LocalWorkspace.createOrSelectStack(
        { stackName: STACK, workDir },
        { pulumiCommand: await pulumiCommand(), envVars },
      ),
    );
    await suite.emulator.admin.clearRequests();
    const up = await moved.up();
    assert.deepEqual(up.summary.resourceChanges, { create: 1, same: 1 }, up.stdout);
    const writes = (await suite.emulator.admin.requests()).filter((r) => r.kind === "arm" && r.method !== "GET");
    assert.deepEqual(
      writes.map((r) => r.method),
      ["PATCH"],
    );
    assert.equal(await runs(), 0, "the build the dynamic resource ran counts");
    const [after] = await templates(suite.emulator);
    assert.equal(after.systemData?.createdAt, before.systemData?.createdAt, "the same template");
    const owner = (tag: string | undefined) => tag?.split(".")[0];
    assert.equal(owner(after.tags?.[OWNER_TAG]), owner(before.tags?.[OWNER_TAG]), "the same resource's marker");
    assert.notEqual(after.tags?.[OWNER_TAG], before.tags?.[OWNER_TAG], "rewritten by the plugin's adoption");

    await moved.destroy();
    assert.deepEqual(await templates(suite.emulator), []);
    await moved.workspace.removeStack(STACK);
  });
});
