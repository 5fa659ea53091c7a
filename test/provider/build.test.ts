/**
 * Image builds through the provider against the emulator (real SDK over HTTPS): build on create with run outputs, no
 * rebuild without a reason, rebuild on a trigger change, a failed build recorded as partial state and retried without
 * recreating the template, timeout with cancel, delete during a running build, transient status-read failures.
 * Uses the built dist/ (npm test builds first), like provider.test.ts.
 */
import assert from "node:assert/strict";
import type * as pulumi from "@pulumi/pulumi";
import { imageTemplateProvider, imageTemplateTriggerProvider } from "../../provider";
import { templateArgs } from "../fixtures/template-args";
import { stepBuildsOnReads } from "../helpers/build-clock";
import { capture, type PartialStateError } from "../helpers/capture";
import { applyEmulatorEnv, startTestEmulator, trustEmulatorCertificate, type TestEmulator } from "../helpers/emulator";

type Bag = Record<string, unknown>;
const provider = imageTemplateProvider as Required<pulumi.dynamic.ResourceProvider>;
const triggers = imageTemplateTriggerProvider as Required<Omit<pulumi.dynamic.ResourceProvider, "update">>;
const RG = "rg-build";
const BUILD_MS = 600;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe("provider builds against the emulator", function () {
  this.timeout(60_000);
  let emu: TestEmulator;
  let restoreEnv: () => void;

  before(async () => {
    emu = await startTestEmulator({ buildDurationMs: BUILD_MS });
    trustEmulatorCertificate(emu.caPem);
    restoreEnv = applyEmulatorEnv(emu);
  });
  after(async () => {
    restoreEnv?.();
    await emu?.stop();
  });
  beforeEach(() => emu.admin.reset());

  const rgId = () => `/subscriptions/${emu.subscriptionId}/resourceGroups/${RG}`;
  const args = (name: string, build: Bag, extra: Bag = {}): Bag =>
    templateArgs(emu.subscriptionId, RG, {
      imageTemplateName: name,
      distribute: [
        {
          type: "ManagedImage",
          runOutputName: "img",
          imageId: `${rgId()}/providers/Microsoft.Compute/images/i`,
          location: "westus",
        },
        { type: "VHD", runOutputName: "disk" },
      ],
      build,
      __pulumiName: "web",
      __provider: "serialized-provider-text",
      ...extra,
    });
  const checked = async (news: Bag, olds: Bag = {}) => {
    const r = await provider.check(olds, news);
    assert.deepEqual(r.failures ?? [], []);
    // The engine's provider host puts __provider back after check, as here.
    return { ...r.inputs, __provider: news.__provider } as Bag;
  };
  const requests = async (method: string, pathEnd: RegExp) =>
    (await emu.admin.requests()).filter((r) => r.method === method && pathEnd.test(r.path));
  const liveTemplate = async (name: string) =>
    (await emu.admin.state()).templates.find((t) => t.name === name) as
      { properties: { lastRunStatus?: { runState: string } } } | undefined;

  it("builds on create, prints each transition with the resource name once and in order, and exposes run outputs", async () => {
    // Each of the 4 sub-states lasts a minute of the emulator's clock, moved on only after the provider has read the
    // template: it reads every one of them.
    await emu.admin.setTiming({ buildDurationMs: 4 * MINUTE });
    const stepped = async <T>(call: () => Promise<T>) => {
      const clock = stepBuildsOnReads(emu, MINUTE);
      try {
        return await capture(call);
      } finally {
        await clock.stop();
      }
    };
    const inputs = await checked(args("tpl-create", { when: "onCreate" }));
    const { value: created, error, lines } = await stepped(() => provider.create(inputs));
    assert.equal(error, undefined);
    const outs = created!.outs as Bag;
    assert.equal(outs.lastRunStatusRunState, "Succeeded");
    const runOutputs = outs.runOutputs as Record<string, Bag>;
    assert.equal(runOutputs.img.artifactId, `${rgId()}/providers/Microsoft.Compute/images/i`);
    assert.match(String(runOutputs.disk.artifactUri), /^https:\/\//);
    assert.equal(outs.buildPending, undefined);
    assert.ok(
      lines.every((l) => l.startsWith("[web] ")),
      lines.join("\n"),
    );
    const states = lines
      .filter((l) => / build (Running|Succeeded)/.test(l))
      .map((l) => /build ([\w -]+?) \(/.exec(l)![1]);
    const order = [
      "Running - Queued",
      "Running - Building",
      "Running - Customizing",
      "Running - Distributing",
      "Succeeded",
    ];
    assert.deepEqual(states, order, "every state of the emulator's sequence, once, in order");
    const [outcome, ...others] = lines.filter((l) => l.startsWith("[web] image built in "));
    assert.deepEqual(others, []);
    assert.match(
      outcome,
      /^\[web\] image built in \dm\d\ds \(no estimate: no earlier successful build of this resource\)$/,
    );
    assert.ok(
      lines.every((l) => l === outcome || /\(\d+m\d\ds\)$/.test(l)),
      "every other line shows the elapsed time",
    );
    assert.ok(lines.some((l) => l.includes("run output img: /subscriptions/")));

    // Nothing changed: no update, so no build.
    assert.equal(
      (await provider.diff(created!.id, outs, await checked(args("tpl-create", { when: "onCreate" }), outs))).changes,
      false,
    );
    // A changed trigger: an update (never a replacement) that builds again, without a PUT.
    await emu.admin.clearRequests();
    const news = await checked(args("tpl-create", { when: "onCreate", trigger: "v2" }), outs);
    assert.deepEqual(await provider.diff(created!.id, outs, news), {
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
      detailedDiff: { build: { kind: "update", replace: false } },
    });
    const { value: updated } = await stepped(() => provider.update(created!.id, outs, news));
    assert.equal((updated!.outs as Bag).lastRunStatusRunState, "Succeeded");
    assert.deepEqual((updated!.outs as Bag).build, { when: "onCreate", trigger: "v2" });
    assert.equal((await requests("POST", /\/run$/)).length, 1);
    assert.equal((await requests("PUT", /imageTemplates\/tpl-create$/)).length, 0);
    assert.equal(
      (await provider.diff(created!.id, updated!.outs as Bag, news)).changes,
      false,
      "the trigger is recorded",
    );
  });

  it("a failed build fails create with partial state; the next update builds again without recreating", async () => {
    await emu.admin.injectFault({
      method: "POST",
      path: "/imageTemplates/tpl-fail/run$",
      kind: "failBuild",
      message: "customizer exited 1",
    });
    const inputs = await checked(args("tpl-fail", { when: "onCreate" }));
    const { error } = await capture(() => provider.create(inputs));
    const e = error as PartialStateError;
    assert.match(e.message, /build of image template "tpl-fail".* failed \(runState Failed: customizer exited 1\)/);
    assert.match(e.id, /imageTemplates\/tpl-fail$/);
    assert.equal(e.properties.buildPending, true);
    assert.equal(e.properties.lastRunStatusRunState, "Failed");
    assert.equal(e.properties.__provider, "serialized-provider-text", "destroy needs __provider in the recorded state");
    assert.deepEqual(e.reasons, [e.message]);
    assert.ok(await liveTemplate("tpl-fail"), "the template is kept");

    // The next up: same program, the fault is gone. diff sees the owed build; update runs it on the same template.
    await emu.admin.clearRequests();
    const news = await checked(args("tpl-fail", { when: "onCreate" }), e.properties);
    assert.deepEqual(await provider.diff(e.id, e.properties, news), {
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
      detailedDiff: { build: { kind: "update", replace: false } },
    });
    const { value: updated } = await capture(() => provider.update(e.id, e.properties, news));
    const outs = updated!.outs as Bag;
    assert.equal(outs.lastRunStatusRunState, "Succeeded");
    assert.equal(outs.buildPending, undefined);
    assert.ok((outs.runOutputs as Bag).img);
    assert.equal((await requests("PUT", /imageTemplates\/tpl-fail$/)).length, 0, "not recreated");
    assert.equal((await provider.diff(e.id, outs, news)).changes, false);
  });

  it("times out, cancels the build when asked, and records the owed build", async () => {
    await emu.admin.setTiming({ buildDurationMs: 20_000 });
    const inputs = await checked(args("tpl-slow", { when: "onCreate", timeoutMinutes: 0.01, cancelOnTimeout: true }));
    const { error, lines } = await capture(() => provider.create(inputs));
    const e = error as PartialStateError;
    assert.match(e.message, /did not finish in time \(runState Canceled/);
    assert.equal(e.properties.buildPending, true);
    assert.equal((await liveTemplate("tpl-slow"))?.properties.lastRunStatus?.runState, "Canceled");
    assert.ok(lines.some((l) => l.includes("canceling the running build")));
    assert.equal((await requests("POST", /\/cancel$/)).length, 1);
  });

  it("without cancelOnTimeout the build goes on, and the next update waits for it instead of starting another", async () => {
    // An hour of the emulator's clock: the create's wait (0.6 s) ends first, the update's ends once the clock moves.
    await emu.admin.setTiming({ buildDurationMs: HOUR });
    const inputs = await checked(args("tpl-long", { when: "onCreate", timeoutMinutes: 0.01 }));
    const { error } = await capture(() => provider.create(inputs));
    const e = error as PartialStateError;
    assert.match(
      e.message,
      /did not finish in time \(runState Running.*It keeps running; the next pulumi up waits for it/,
    );
    const news = await checked(args("tpl-long", { when: "onCreate", timeoutMinutes: 1 }), e.properties);
    const clock = stepBuildsOnReads(emu, HOUR);
    const { value: updated, lines } = await capture(() => provider.update(e.id, e.properties, news));
    await clock.stop();
    assert.equal((updated!.outs as Bag).lastRunStatusRunState, "Succeeded");
    assert.ok(lines.some((l) => l.includes("already running: waiting for it")));
    assert.equal((await requests("POST", /\/run$/)).length, 1, "one build only");
  });

  it("deletes during a running build: cancel, wait through Canceling, then delete", async () => {
    await emu.admin.setTiming({ buildDurationMs: 20_000, lroDurationMs: 400 });
    const inputs = await checked(args("tpl-busy", { when: "onCreate", waitForCompletion: false }));
    const { value: created } = await capture(() => provider.create(inputs));
    assert.equal((created!.outs as Bag).lastRunStatusRunState, "Running");
    assert.equal((created!.outs as Bag).runOutputs, undefined);
    await emu.admin.clearRequests();
    const { error, lines } = await capture(() => provider.delete(created!.id, created!.outs as Bag));
    assert.equal(error, undefined);
    assert.equal(await liveTemplate("tpl-busy"), undefined);
    const log = (await emu.admin.requests())
      .filter((r) => r.kind === "arm")
      .map((r) => `${r.method} ${r.path.split("/").pop()}`);
    const cancel = log.indexOf("POST cancel");
    const del = log.indexOf("DELETE tpl-busy");
    assert.ok(cancel >= 0 && del > cancel, log.join(", "));
    assert.ok(
      lines.some((l) => l.includes("build Canceling")),
      lines.join("\n"),
    );
    assert.ok(lines.some((l) => l.includes("build Canceled; deleting the template")));
  });

  it("rides out failing status reads (beyond the SDK's own retries) while waiting", async () => {
    // No SDK retries, so the provider's own tolerance is what rides the failures out.
    Object.assign(process.env, { AZURE_IMAGEBUILDER_MAX_RETRIES: "0", AZURE_IMAGEBUILDER_RETRY_DELAY_MS: "10" });
    try {
      const { value: created } = await capture(async () => provider.create(await checked(args("tpl-flaky", {}))));
      const olds = created!.outs as Bag;
      const news = await checked(args("tpl-flaky", { when: "onCreate", trigger: 1 }), olds);
      await emu.admin.injectFault({
        method: "GET",
        path: "/imageTemplates/tpl-flaky$",
        kind: "error",
        status: 500,
        count: 3,
      });
      const { value, error, lines } = await capture(() => provider.update(created!.id, olds, news));
      assert.equal(error, undefined);
      assert.equal((value!.outs as Bag).lastRunStatusRunState, "Succeeded");
      assert.equal(lines.filter((l) => l.includes("reading the build status failed")).length, 3);
    } finally {
      delete process.env.AZURE_IMAGEBUILDER_MAX_RETRIES;
      delete process.env.AZURE_IMAGEBUILDER_RETRY_DELAY_MS;
    }
  });

  it("refresh picks up run outputs of a build that finished after the update (waitForCompletion false)", async () => {
    const inputs = await checked(args("tpl-later", { when: "onCreate", waitForCompletion: false }));
    const { value: created } = await capture(() => provider.create(inputs));
    // The build started before create returned: a build's length of the emulator's time later it is over.
    await emu.admin.advanceClock(BUILD_MS);
    const refreshed = await provider.read(created!.id, created!.outs as Bag);
    assert.equal((refreshed.props as Bag).lastRunStatusRunState, "Succeeded");
    assert.ok(((refreshed.props as Bag).runOutputs as Bag).img);
  });

  it("ImageTemplateTrigger: typed check, create after the template, read, replace on any change, delete", async () => {
    const { value: template } = await capture(async () => provider.create(await checked(args("tpl-trig", {}))));
    const trigArgs = (extra: Bag = {}) => ({
      resourceGroupName: RG,
      imageTemplateName: "tpl-trig",
      triggerName: "on-new-ubuntu",
      kind: "SourceImage",
      ...extra,
    });
    const bad = await triggers.check({}, trigArgs({ kind: "Schedule", cron: "x" }));
    assert.deepEqual(bad.failures?.map((f) => f.property).sort(), ["cron", "kind"]);
    const { inputs, failures } = await triggers.check({}, trigArgs());
    assert.deepEqual(failures, []);
    assert.equal((inputs as Bag).subscriptionId, emu.subscriptionId);

    const created = await triggers.create(inputs as Bag);
    assert.equal(created.id, `${template!.id}/triggers/on-new-ubuntu`);
    assert.equal((created.outs as Bag).provisioningState, "Succeeded");
    assert.equal((await emu.admin.state()).triggers.length, 1);
    const read = await triggers.read(created.id, created.outs as Bag);
    assert.equal(read.id, created.id);
    assert.equal((await triggers.diff(created.id, read.props as Bag, inputs as Bag)).changes, false);
    assert.deepEqual(
      await triggers.diff(created.id, created.outs as Bag, { ...(inputs as Bag), triggerName: "other" }),
      {
        changes: true,
        replaces: ["triggerName"],
        deleteBeforeReplace: true,
        detailedDiff: { triggerName: { kind: "update", replace: true } },
      },
    );

    await triggers.delete(created.id, created.outs as Bag);
    assert.deepEqual((await emu.admin.state()).triggers, []);
    assert.deepEqual(await triggers.read(created.id, created.outs as Bag), {}, "gone: refresh drops it");
  });
});
