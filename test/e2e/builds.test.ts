/**
 * Image builds through the real Pulumi engine (Automation API, file backend) against a fresh emulator with short
 * builds: preview and up agree on the autoname; build on create with the artifact exported; progress lines in the
 * engine's output, live and in order; no rebuild without a reason; rebuild on a trigger change; a failed build fails
 * the up but stays in state and the next up builds without recreating; timeout with cancel; destroy during a running
 * build; the SourceImage trigger resource's lifecycle. The cases run in order on one stack, like successive `pulumi up`s.
 */
import * as assert from "node:assert/strict";
import type { PulumiFn } from "@pulumi/pulumi/automation";
import type { EngineStack, UpRunResult } from "./helpers/engine-stack";
import { ImageTemplate, ImageTemplateTrigger, type ImageTemplateArgs } from "pulumi-azure-imagebuilder";
import { templateArgs } from "../fixtures/template-args";
import { ENSURE_TIMEOUT_MS, pulumiBinDir } from "./helpers/engine";
import { startEngineSuite, templates, type EngineSuite } from "./helpers/stacks";

const PROJECT = "e2e-builds";
const STACK = "dev";
const RG = "rg-builds";

interface Spec {
  build: NonNullable<ImageTemplateArgs["build"]>;
  /** Declare a SourceImage trigger with this name. */
  triggerName?: string;
}

/**
 * The text on the template's own row as `--non-interactive` prints it while the step runs (status and diagnostics of
 * the resource, one line each), undefined for other lines.
 */
const rowText = (line: string): string | undefined =>
  /^ [+~] {2}pulumi-nodejs:dynamic\/azure-imagebuilder:ImageTemplate web (?:creating|updating) \(\d+s\) (.+)$/.exec(
    line,
  )?.[1];

function program(subscriptionId: string, spec: Spec): PulumiFn {
  return async () => {
    const template = new ImageTemplate("web", {
      ...templateArgs(subscriptionId, RG),
      customize: [{ type: "Shell", name: "nginx", inline: ["sudo apt-get install -y nginx"] }],
      build: spec.build,
    });
    if (spec.triggerName) {
      new ImageTemplateTrigger("web-on-new-ubuntu", {
        resourceGroupName: RG,
        imageTemplateName: template.imageTemplateName,
        triggerName: spec.triggerName,
        kind: "SourceImage",
      });
    }
    return {
      templateName: template.imageTemplateName,
      imageId: template.artifactOf("mi"),
      runState: template.lastRunStatusRunState,
    };
  };
}

describe("image builds through the Pulumi engine", function () {
  this.timeout(3 * 60_000);
  let suite: EngineSuite;
  let stack: EngineStack;
  let subscriptionId: string;

  const deploy = (spec: Spec) => {
    stack.workspace.program = program(subscriptionId, spec);
  };
  const armRequests = async (method: string, path: RegExp) =>
    (await suite.emulator.admin.requests()).filter((r) => r.kind === "arm" && r.method === method && path.test(r.path));
  /** Runs `pulumi up`, keeping each output line with the moment it reached this process. */
  const upWithOutput = async (): Promise<{
    result?: UpRunResult;
    error?: Error;
    lines: string[];
    arrivals: number[];
  }> => {
    const lines: string[] = [];
    const arrivals: number[] = [];
    const onOutput = (chunk: string) => {
      const now = Date.now();
      for (const line of chunk.split("\n")) {
        lines.push(line);
        arrivals.push(now);
      }
    };
    try {
      return { result: await stack.up({ onOutput }), lines, arrivals };
    } catch (error) {
      return { error: error as Error, lines, arrivals };
    }
  };
  const templateInState = async () =>
    (await stack.exportStack()).deployment.resources.find((r: { type: string }) => r.type.endsWith(":ImageTemplate"));

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    await pulumiBinDir();
    suite = await startEngineSuite();
    subscriptionId = suite.emulator.subscriptionId;
    stack = await suite.inlineStack(PROJECT, STACK, program(subscriptionId, { build: { when: "onCreate" } }));
  });

  after(async () => {
    await suite?.tearDown();
  });

  it("preview plans the autoname that up then creates, and up builds, printing progress live and in order", async () => {
    const preview = await stack.preview({ diff: true });
    const planned = /imageTemplateName\s*:\s*"(web-[0-9a-f]{7})"/.exec(preview.stdout)?.[1];
    assert.ok(planned, `no planned name in:\n${preview.stdout}`);

    // Each of the 4 sub-states lasts 1 s against the provider's 50 ms poll interval, so it reads every one of them.
    await suite.emulator.admin.setTiming({ buildDurationMs: 4000 });
    const { result, error, lines, arrivals } = await upWithOutput().finally(() =>
      suite.emulator.admin.setTiming({ buildDurationMs: 600 }),
    );
    assert.equal(error, undefined, lines.join("\n"));
    assert.equal(result!.outputs.templateName.value, planned, "preview and up agree on the name");
    assert.equal(
      result!.outputs.imageId.value,
      `/subscriptions/${subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Compute/images/img`,
    );
    assert.equal(result!.outputs.runState.value, "Succeeded");

    // The CLI prints each line as it arrives, then again under "Diagnostics:" at the end: take the live ones.
    const summaryAt = lines.findIndex((l) => /^Diagnostics:/.test(l.trim()));
    const live = summaryAt < 0 ? lines : lines.slice(0, summaryAt);
    const progress = live.flatMap((l) => rowText(l) ?? []);
    const states = progress.flatMap((l) => /^build ((?:Running - )?\w+) \(/.exec(l)?.[1] ?? []);
    assert.deepEqual(
      states,
      ["Running - Queued", "Running - Building", "Running - Customizing", "Running - Distributing", "Succeeded"],
      "every state of the emulator's sequence, once, in order",
    );
    const order = [
      "image build requested",
      "starting an image build",
      "build Running - Queued",
      "build Running - Distributing",
      "build Succeeded",
      "run output mi",
    ];
    const at = order.map((text) => progress.findIndex((l) => l.includes(text)));
    assert.ok(
      at.every((i, k) => i >= 0 && (k === 0 || i > at[k - 1])),
      `progress out of order:\n${progress.join("\n")}`,
    );
    // Live: the first state line reached this process before the build ended in the emulator (same clock: the
    // emulator runs in this process), not in one batch at the end of the update.
    const [template] = await templates(suite.emulator);
    const buildEnd = Date.parse(
      (template.properties as { lastRunStatus?: { endTime?: string } }).lastRunStatus?.endTime ?? "",
    );
    const firstState = arrivals[lines.findIndex((l) => rowText(l)?.startsWith("build Running - Queued"))];
    assert.ok(firstState < buildEnd, `first progress line at ${firstState}, build ended at ${buildEnd}`);
  });

  it("an up with nothing changed does not build again", async () => {
    await suite.emulator.admin.clearRequests();
    const result = await stack.up();
    assert.deepEqual(result.summary.resourceChanges, { same: 2 });
    assert.deepEqual(await armRequests("POST", /\/run$/), []);
  });

  it("a changed trigger updates in place and builds again", async () => {
    await suite.emulator.admin.clearRequests();
    deploy({ build: { when: "onCreate", trigger: { release: "2025.07" } } });
    const preview = await stack.preview();
    assert.deepEqual(preview.changeSummary, { same: 1, update: 1 });
    const result = await stack.up();
    assert.deepEqual(result.summary.resourceChanges, { same: 1, update: 1 });
    assert.equal((await armRequests("POST", /\/run$/)).length, 1);
    assert.deepEqual(await armRequests("PUT", /imageTemplates\/[^/]+$/), []);
  });

  it("a failed build fails the up but keeps the template in state; the next up builds it without recreating", async () => {
    const name = (await stack.outputs()).templateName.value as string;
    await suite.emulator.admin.injectFault({
      method: "POST",
      path: `/imageTemplates/${name}/run$`,
      kind: "failBuild",
      message: "nginx failed to install",
    });
    deploy({ build: { when: "onCreate", trigger: { release: "2025.08" } } });
    const failed = await upWithOutput();
    assert.ok(failed.error, "the up must fail");
    assert.match(
      failed.error!.message,
      /build of image template .* failed \(runState Failed: nginx failed to install\)/,
    );
    const recorded = await templateInState();
    assert.equal(recorded.outputs.buildPending, true);
    assert.equal(recorded.outputs.lastRunStatusRunState, "Failed");
    assert.deepEqual(recorded.outputs.build.trigger, { release: "2025.08" });

    await suite.emulator.admin.clearRequests();
    const preview = await stack.preview();
    assert.deepEqual(preview.changeSummary, { same: 1, update: 1 }, "the owed build shows as an update");
    const retried = await stack.up();
    assert.deepEqual(retried.summary.resourceChanges, { same: 1, update: 1 });
    assert.equal(retried.outputs.runState.value, "Succeeded");
    assert.equal((await armRequests("POST", /\/run$/)).length, 1);
    assert.deepEqual(await armRequests("PUT", /imageTemplates\/[^/]+$/), [], "not recreated");
    assert.equal((await templateInState()).outputs.buildPending, undefined);
  });

  it("a build that outlasts the timeout is canceled when asked, and the up fails", async () => {
    await suite.emulator.admin.setTiming({ buildDurationMs: 30_000 });
    deploy({
      build: { when: "onCreate", trigger: { release: "2025.09" }, timeoutMinutes: 0.02, cancelOnTimeout: true },
    });
    const { error } = await upWithOutput();
    assert.match(String(error?.message), /did not finish in time \(runState Canceled/);
    const [held] = await templates(suite.emulator);
    assert.equal((held.properties as { lastRunStatus?: { runState: string } }).lastRunStatus?.runState, "Canceled");
  });

  it("destroy during a running build cancels it, waits, then deletes the template", async () => {
    // The build lasts until the destroy cancels it, however slow the machine: with the 30 s of the test before, a
    // loaded run (load 18) reached the destroy after the build had ended, and nothing was left to cancel.
    await suite.emulator.admin.setTiming({ buildDurationMs: 3_600_000 });
    deploy({ build: { when: "onCreate", trigger: { release: "2025.10" }, waitForCompletion: false } });
    const started = await stack.up();
    assert.equal(started.outputs.runState.value, "Running");
    await suite.emulator.admin.clearRequests();
    await stack.destroy();
    assert.deepEqual(await templates(suite.emulator), []);
    const cancel = await armRequests("POST", /\/cancel$/);
    const del = await armRequests("DELETE", /imageTemplates\/[^/]+$/);
    assert.equal(cancel.length, 1);
    assert.ok(del.length > 0 && del[0].time >= cancel[0].time);
    await suite.emulator.admin.setTiming({ buildDurationMs: 600 });
  });

  it("the SourceImage trigger is created after the template, replaced on a change, deleted with the stack", async () => {
    deploy({ build: { when: "never" }, triggerName: "on-new-ubuntu" });
    const created = await stack.up();
    assert.deepEqual(created.summary.resourceChanges, { create: 3 });
    let [trigger] = (await suite.emulator.admin.state()).triggers as { name: string }[];
    assert.equal(trigger.name, "on-new-ubuntu");

    deploy({ build: { when: "never" }, triggerName: "on-new-ubuntu-2" });
    const replaced = await stack.up();
    assert.deepEqual(replaced.summary.resourceChanges, { same: 2, replace: 1 });
    [trigger] = (await suite.emulator.admin.state()).triggers as { name: string }[];
    assert.equal(trigger.name, "on-new-ubuntu-2");

    await stack.destroy();
    assert.deepEqual((await suite.emulator.admin.state()).triggers, []);
    assert.deepEqual(await templates(suite.emulator), []);
  });

  it("a failed build's up shows the failing customizer and its log lines, streamed live in order, each once", async () => {
    await stack.destroy(); // a fresh template, so the up creates and builds it
    await suite.emulator.admin.injectFault({
      method: "POST",
      path: "/run$",
      kind: "failBuild",
      output: ["E: Unable to locate package nginx"],
    });
    deploy({ build: { when: "onCreate", logs: "stream" } });
    const { error, lines } = await upWithOutput();
    assert.ok(error, "the up must fail");
    assert.match(error.message, /Failing step: customizer 1\/1 "nginx" \(Shell\)\./);
    assert.match(error.message, /azure-arm: E: Unable to locate package nginx/);
    assert.match(
      error.message,
      / ui error: Build 'azure-arm' errored after .*: Script exited with non-zero exit status: 1/,
    );
    const url = (await templateInState()).outputs.lastBuildLog as string;
    assert.match(url, /^https:\/\/127\.0\.0\.1:\d+\/[a-z0-9]{24}\/packerlogs\/[0-9a-f-]{36}\/customization\.log$/);
    assert.ok(error.message.includes(`Last lines of the build log (${url}):`));
    // Live output only: the engine repeats every diagnostic in its closing "Diagnostics:" summary.
    const live = lines.slice(
      0,
      lines.findIndex((l) => /^Diagnostics:/.test(l.trim())),
    );
    const streamed = live.flatMap((l) => /^\| (.*)$/.exec(rowText(l) ?? "")?.[1] ?? []);
    const blob = (await suite.emulator.blob(url).downloadToBuffer()).toString("utf8");
    const log = blob
      .trimEnd()
      .split("\n")
      .map((l) => l.replace(/^\[[^\]]+\] /, ""));
    assert.deepEqual(streamed, log, "every line of the log, once, in order");
    assert.equal(streamed.filter((l) => l.endsWith("(telemetry) Starting provisioner shell")).length, 1);
    await stack.destroy();
    assert.deepEqual(await templates(suite.emulator), []);
  });
});
