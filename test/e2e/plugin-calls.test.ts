/**
 * What the engine exchanges with the plugin that the dynamic provider host drops, through the real engine and the
 * plugin on PATH, against an emulator whose builds take an hour of its clock (which moves only when told):
 * - the detailed diff: `pulumi preview --json` names each changed argument as an update or a replacement, as the
 *   plan decides it;
 * - customTimeouts: a `create` bound of a few seconds ends the wait for the hour-long build, failing the up with a
 *   message naming customTimeouts; the template is recorded with its build owed, and the next up waits for that same
 *   build (the clock moved on by the test) instead of starting another.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { promisify } from "node:util";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { engineStack } from "./helpers/engine-stack";
import type { ImageTemplateInputs } from "../../provider/image-template/codecs/args";
import { templateArgs } from "../fixtures/template-args";
import { stepBuildsOnReads } from "../helpers/build-clock";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator";
import { ENSURE_TIMEOUT_MS, newStateDir, pulumiBinDir, pulumiCommand, removeStateDir } from "./helpers/engine";
import { pluginConfig, pluginEngineEnv } from "./helpers/plugin";
import { templates } from "./helpers/stacks";

const run = promisify(execFile);
const STACK = "dev";
const TYPE = "azure-imagebuilder:index:ImageTemplate";
const BUILD_MS = 60 * 60_000;

/** A YAML program (as JSON) of one template `web` with these arguments and resource options. */
const program = (name: string, args: ImageTemplateInputs, options: Record<string, unknown> = {}) =>
  JSON.stringify({ name, runtime: "yaml", resources: { web: { type: TYPE, properties: args, options } } });

interface PreviewStep {
  op: string;
  urn: string;
  detailedDiff?: Record<string, { kind: string; inputDiff: boolean }>;
}

describe("the plugin: detailed diffs and customTimeouts through the engine", function () {
  this.timeout(15 * 60_000);
  let emulator: TestEmulator;
  let stateDir: string;
  let envVars: Record<string, string>;

  /** A stack of a program in its own folder, signed in with the plugin's stack config. */
  const stackOf = async (name: string, args: ImageTemplateInputs, options?: Record<string, unknown>) => {
    const workDir = await mkdtemp(path.join(stateDir, `${name}-`));
    await writeFile(path.join(workDir, "Pulumi.yaml"), program(name, args, options));
    const stack = engineStack(
      await LocalWorkspace.createOrSelectStack(
        { stackName: STACK, workDir },
        { pulumiCommand: await pulumiCommand(), envVars },
      ),
    );
    await stack.setAllConfig(pluginConfig(emulator));
    return { stack, workDir };
  };

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    await pulumiBinDir();
    emulator = await startTestEmulator({ buildDurationMs: BUILD_MS });
    stateDir = await newStateDir();
    envVars = await pluginEngineEnv(stateDir, emulator, true);
  });

  after(async () => {
    await emulator?.stop();
    if (stateDir) await removeStateDir(stateDir);
  });

  it("preview --json shows each changed argument as an update or a replacement", async () => {
    const args = templateArgs(emulator.subscriptionId, "rg-diff", { imageTemplateName: "web" });
    const { stack, workDir } = await stackOf("detailed", args);
    assert.deepEqual((await stack.up()).summary.resourceChanges, { create: 2 });

    const steps = async (next: ImageTemplateInputs): Promise<PreviewStep[]> => {
      await writeFile(path.join(workDir, "Pulumi.yaml"), program("detailed", next));
      const { stdout } = await run(path.join(await pulumiBinDir(), "pulumi"), ["preview", "--json", "--stack", STACK], {
        cwd: workDir,
        env: { ...process.env, ...envVars },
      });
      return (JSON.parse(stdout) as { steps: PreviewStep[] }).steps.filter((s) => s.urn.endsWith(`${TYPE}::web`));
    };

    // A tag changed, a VM size added: in place.
    const inPlace = await steps({ ...args, tag: { env: "prod" }, vmProfileVmsize: "Standard_D4s_v3" });
    assert.deepEqual(
      inPlace.map((s) => [s.op, s.detailedDiff]),
      [["update", { tag: { kind: "update", inputDiff: true }, vmProfileVmsize: { kind: "add", inputDiff: true } }]],
    );

    // A new source replaces (deleting first: the name is fixed); the tag still changes in place, the customize
    // step removed replaces too.
    const source = { ...args.source, sku: "server-gen1" } as ImageTemplateInputs["source"];
    const replaced = await steps({ ...args, source, tag: { env: "prod" } });
    const replacement = replaced.find((s) => s.op === "replace");
    assert.deepEqual(replacement?.detailedDiff, {
      source: { kind: "update-replace", inputDiff: true },
      tag: { kind: "update", inputDiff: true },
    });
    const removed = await steps({ ...args, customize: undefined });
    assert.deepEqual(removed.find((s) => s.op === "replace")?.detailedDiff, {
      customize: { kind: "delete-replace", inputDiff: true },
    });

    // Unchanged: no step.
    assert.deepEqual(await steps(args), []);
    await stack.destroy();
  });

  it("a customTimeouts.create shorter than the build fails the up naming it; the next up waits for that build", async () => {
    const args = {
      ...templateArgs(emulator.subscriptionId, "rg-timeouts", { imageTemplateName: "slow" }),
      build: { when: "onCreate" },
    } as ImageTemplateInputs;
    const { stack, workDir } = await stackOf("timeouts", args, { customTimeouts: { create: "3s" } });
    await emulator.admin.clearRequests();
    const failed = await stack.up().then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(failed, "the up failed");
    assert.match(
      failed.message,
      /The image build of .*"slow".* did not finish within its customTimeouts\.create of 3s \(runState Running\)\. It keeps running; the next pulumi up waits for it\./,
    );
    const runs = async () =>
      (await emulator.admin.requests()).filter((r) => r.method === "POST" && r.path.endsWith("/run")).length;
    assert.equal(await runs(), 1);
    const state = await stack.exportStack();
    const web = state.deployment.resources.find((r: { type: string }) => r.type === TYPE);
    assert.equal(web?.outputs?.buildPending, true, "recorded with its build owed");

    // Without the bound, the next up waits for the running build while the emulator's clock moves it to its end.
    await writeFile(path.join(workDir, "Pulumi.yaml"), program("timeouts", args));
    await emulator.admin.clearRequests();
    const clock = stepBuildsOnReads(emulator, BUILD_MS / 4);
    try {
      const up = await stack.up();
      assert.deepEqual(up.summary.resourceChanges, { update: 1, same: 1 }, up.stdout);
    } finally {
      await clock.stop();
    }
    assert.equal(await runs(), 0, "no second build");
    const recorded = (await stack.exportStack()).deployment.resources.find((r: { type: string }) => r.type === TYPE);
    assert.equal(recorded?.outputs?.lastRunStatusRunState, "Succeeded");
    assert.equal(recorded?.outputs?.buildPending, undefined, "the build owed is settled");
    assert.equal((await templates(emulator)).length, 1);
    await stack.destroy();
  });
});
