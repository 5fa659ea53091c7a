/**
 * `pulumi import` of a template the emulator holds, through the plugin on PATH (development): the import records it
 * without a write, the code it generates is a program whose next `up` changes nothing (the service's answers are not
 * drift), the first write of it (a tag change) gives it this resource's ownership marker as adoptExisting does, and
 * destroy deletes it.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { promisify } from "node:util";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { engineStack, type EngineStack } from "./helpers/engine-stack";
import { toImageTemplate } from "../../provider/image-template/mapping";
import type { ImageTemplateInputs } from "../../provider/image-template/codecs/args";
import { templateArgs } from "../fixtures/template-args";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator";
import { ENSURE_TIMEOUT_MS, newStateDir, pulumiBinDir, pulumiCommand, removeStateDir } from "./helpers/engine";
import { pluginConfig, pluginEngineEnv } from "./helpers/plugin";
import { templates } from "./helpers/stacks";

const run = promisify(execFile);
const PROJECT = "imported";
const STACK = "dev";
const RG = "rg-import";
const NAME = "web-images";
const OWNER_TAG = "pulumi-imagebuilder-owner";
const TYPE = "azure-imagebuilder:index:ImageTemplate";

describe("pulumi import of an existing template through the plugin", function () {
  this.timeout(10 * 60_000);
  let emulator: TestEmulator;
  let stateDir: string;
  let workDir: string;
  let envVars: Record<string, string>;
  let stack: EngineStack;
  let templateId: string;
  let createdAt: string | undefined;
  /** The CLI in the program's folder, as a user runs it; its output is in the error when it fails. */
  const pulumiCli = async (args: string[]) =>
    run(path.join(await pulumiBinDir(), "pulumi"), args, { cwd: workDir, env: { ...process.env, ...envVars } }).catch(
      (e: { stdout?: string; stderr?: string; message: string }) => {
        throw new Error(`${e.message}\n${e.stdout}\n${e.stderr}`);
      },
    );
  const writes = async () =>
    (await emulator.admin.requests()).filter((r) => r.kind === "arm" && r.method !== "GET").map((r) => r.method);

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    await pulumiBinDir();
    emulator = await startTestEmulator();
    stateDir = await newStateDir();
    envVars = await pluginEngineEnv(stateDir, emulator, true);
    workDir = await mkdtemp(path.join(stateDir, "program-"));
    await writeFile(path.join(workDir, "Pulumi.yaml"), `name: ${PROJECT}\nruntime: yaml\n`);
    stack = engineStack(
      await LocalWorkspace.createOrSelectStack(
        { stackName: STACK, workDir },
        { pulumiCommand: await pulumiCommand(), envVars },
      ),
    );
    await stack.setAllConfig(pluginConfig(emulator));
    const args = templateArgs(emulator.subscriptionId, RG, { tag: { team: "web" } }) as ImageTemplateInputs;
    const created = await emulator
      .client()
      .virtualMachineImageTemplates.createOrUpdate(RG, NAME, toImageTemplate(args), emulator.poll);
    templateId = created.id!;
    createdAt = created.systemData?.createdAt?.toISOString();
  });

  after(async () => {
    await emulator?.stop();
    if (stateDir) await removeStateDir(stateDir);
  });

  it("imports the template without writing to it and generates its program", async () => {
    await emulator.admin.clearRequests();
    const generated = path.join(workDir, "generated.yaml");
    await pulumiCli(["import", TYPE, "web", templateId, "--yes", "--stack", STACK, "--out", generated]);
    assert.deepEqual(await writes(), []);
    const state = await stack.exportStack();
    const web = state.deployment.resources.find((r: { type: string }) => r.type === TYPE);
    assert.equal(web?.id, templateId);
    assert.equal(web?.outputs?.imageTemplateName, NAME);
    // The generated program declares it: with its project header, it is the stack's program from now on.
    const program = await readFile(generated, "utf8");
    assert.match(program, /type: azure-imagebuilder:(index:)?ImageTemplate\n/);
    assert.match(program, /protect: true/);
    await writeFile(path.join(workDir, "Pulumi.yaml"), `name: ${PROJECT}\nruntime: yaml\n${program}`);
  });

  it("the next up of the generated program changes nothing", async () => {
    await emulator.admin.clearRequests();
    const up = await stack.up();
    assert.deepEqual(
      up.summary.resourceChanges,
      { same: 2 },
      `${up.stdout}\n${await readFile(path.join(workDir, "Pulumi.yaml"), "utf8")}`,
    );
    assert.deepEqual(await writes(), []);
    const [template] = await templates(emulator);
    assert.equal(template.tags?.[OWNER_TAG], undefined);
  });

  it("its first write (a tag change) marks it as this resource's, in place", async () => {
    const yaml = await readFile(path.join(workDir, "Pulumi.yaml"), "utf8");
    const changed = yaml.replace(/team: web/, "team: platform");
    assert.notEqual(changed, yaml, "the generated program holds the tag");
    await writeFile(path.join(workDir, "Pulumi.yaml"), changed);
    await emulator.admin.clearRequests();
    const up = await stack.up();
    assert.deepEqual(up.summary.resourceChanges, { update: 1, same: 1 }, up.stdout);
    assert.deepEqual(await writes(), ["PATCH"]);
    const [template] = await templates(emulator);
    assert.equal(template.systemData?.createdAt, createdAt, "not recreated");
    assert.equal(template.tags?.team, "platform");
    const marker = template.tags?.[OWNER_TAG];
    assert.match(marker ?? "", /^[0-9a-f]{32}\.[0-9a-f]{16}$/);
    const state = await stack.exportStack();
    const web = state.deployment.resources.find((r: { type: string }) => r.type === TYPE);
    assert.equal(web?.outputs?.__ownership, marker);
  });

  it("destroy deletes the template it now owns, once unprotected", async () => {
    const urn = `urn:pulumi:${STACK}::${PROJECT}::${TYPE}::web`;
    await pulumiCli(["state", "unprotect", urn, "--yes", "--stack", STACK]);
    await stack.destroy();
    assert.deepEqual(await templates(emulator), []);
  });
});
