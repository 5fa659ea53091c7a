/**
 * Build logs through the provider against the emulator (real SDKs over HTTPS, the log in the emulator's Azurite): a
 * failed build's error names the failing customizer and shows its lines, build.logs "stream" prints the log as it
 * grows, an unreadable log (403, an account that is not there) never changes the build's result, "off" reads nothing.
 */
import assert from "node:assert/strict";
import type * as pulumi from "@pulumi/pulumi";
import { imageTemplateProvider } from "../../provider";
import { capture, type PartialStateError } from "../helpers/capture";
import { templateArgs } from "../fixtures/template-args";
import { applyEmulatorEnv, startTestEmulator, trustEmulatorCertificate, type TestEmulator } from "../helpers/emulator";

type Bag = Record<string, unknown>;
const provider = imageTemplateProvider as Required<pulumi.dynamic.ResourceProvider>;
// The provider runs from dist/ (as the engine loads it), so its kept connections live in dist's module.
const { forgetConnections } =
  require("../../dist/provider/azure/client") as typeof import("../../provider/azure/client");
const RG = "rg-logs";
const LOG_URL = /^https:\/\/127\.0\.0\.1:\d+\/[a-z0-9]{24}\/packerlogs\/[0-9a-f-]{36}\/customization\.log$/;

describe("provider: build logs against the emulator", function () {
  this.timeout(60_000);
  let emu: TestEmulator;
  let restoreEnv: () => void;

  before(async () => {
    emu = await startTestEmulator({ buildDurationMs: 600 });
    trustEmulatorCertificate(emu.caPem);
    restoreEnv = applyEmulatorEnv(emu);
    forgetConnections();
  });
  after(async () => {
    restoreEnv?.();
    forgetConnections();
    await emu?.stop();
  });
  beforeEach(() => emu.admin.reset());

  const steps = [
    {
      type: "Shell" as const,
      name: "install-nginx",
      inline: ["sudo apt-get update", "sudo apt-get install -y nginx-full"],
    },
    { type: "Shell" as const, name: "configure", inline: ["sudo systemctl enable nginx"] },
  ];
  const create = async (name: string, build: Bag) => {
    const news = templateArgs(emu.subscriptionId, RG, {
      imageTemplateName: name,
      customize: steps,
      build,
      __pulumiName: "web",
      __provider: "serialized-provider-text",
    });
    const checked = await provider.check({}, news);
    assert.deepEqual(checked.failures ?? [], []);
    return capture(() => provider.create({ ...checked.inputs, __provider: "serialized-provider-text" }));
  };
  const failNext = (name: string, extra: Bag = {}) =>
    emu.admin.injectFault({
      method: "POST",
      path: `/imageTemplates/${name}/run$`,
      kind: "failBuild",
      customizer: "install-nginx",
      output: ["E: Unable to locate package nginx-full"],
      ...extra,
    });
  const blobText = async (url: string) => (await emu.blob(url).downloadToBuffer()).toString("utf8");

  it("a failed build's error names the failing customizer, shows its log lines and where the log is", async () => {
    await failNext("tpl-fail");
    const { error, lines } = await create("tpl-fail", { when: "onCreate" });
    const e = error as PartialStateError;
    assert.match(e.message, /build of image template "tpl-fail".* failed \(runState Failed: PackerBuildFailed: /);
    assert.match(e.message, /\nFailing step: customizer 1\/2 "install-nginx" \(Shell\)\.\n/);
    const url = e.properties.lastBuildLog as string;
    assert.match(url, LOG_URL);
    assert.ok(e.message.includes(`Last lines of the build log (${url}):`));
    const shown = e.message.split("\n").filter((l) => l.startsWith("    "));
    assert.ok(shown.length > 0 && shown.length <= 40);
    // From the failing step's first line (the service's log has no header per step), in the recent shape.
    assert.match(
      shown[0],
      /^ {4}PACKER \S+ \S+ ui: ==> azure-arm: Provisioning with shell script: \/tmp\/packer-shell\d+$/,
    );
    assert.ok(shown.some((l) => l.endsWith(" ui:     azure-arm: E: Unable to locate package nginx-full")));
    assert.ok(shown.some((l) => / ui error: Build 'azure-arm' errored after /.test(l)));
    assert.equal(
      shown.filter((l) => l.includes("Provisioning with shell script")).length,
      1,
      "the next step never ran",
    );
    // The lines shown are the log's own (its UI lines, not Packer's debug log), in its order, to its end.
    const log = (await blobText(url))
      .trimEnd()
      .split("\n")
      .map((l) => l.replace(/^\[[^\]]+\] /, ""));
    let at = -1;
    for (const l of shown) {
      at = log.indexOf(l.slice(4), at + 1);
      assert.ok(at >= 0, `not in the log, or out of order: ${l}`);
    }
    assert.equal(shown.at(-1)!.slice(4), log.at(-1));
    assert.ok(!shown.some((l) => l.includes("(telemetry)")), "Packer's debug log is not shown");
    assert.equal(
      e.properties.lastBuildError,
      'customizer "install-nginx" (Shell): Script exited with non-zero exit status: 1. Allowed exit codes are: [0]',
    );
    assert.equal(e.properties.buildPending, true, "the build result is unchanged");
    assert.ok(!lines.some((l) => l.includes("| ")), "onFailure prints no log lines while the build runs");
  });

  it('build.logs "stream" prints every log line once, in order, while the build runs', async () => {
    await emu.admin.setTiming({ buildDurationMs: 2500 });
    const { value, lines } = await create("tpl-stream", { when: "onCreate", logs: "stream" });
    const outs = value!.outs as Bag;
    assert.equal(outs.lastRunStatusRunState, "Succeeded");
    const url = outs.lastBuildLog as string;
    assert.match(url, LOG_URL);
    const streamed = lines.filter((l) => l.startsWith("[web] | ")).map((l) => l.slice("[web] | ".length));
    const log = (await blobText(url))
      .trimEnd()
      .split("\n")
      .map((l) => l.replace(/^\[[^\]]+\] /, ""));
    // The log is found on the first poll after it exists and read from the start: nothing is missed or repeated.
    assert.deepEqual(streamed, log);
    // Both customizers, then the service's deprovisioning step.
    assert.equal(streamed.filter((l) => l.endsWith("(telemetry) Starting provisioner shell")).length, 3);
    // Streamed while running: a log line comes before the last progress line that still says Running (on a loaded
    // machine a poll may miss the short Distributing stage, so not that line by name).
    const firstLog = lines.findIndex((l) => l.startsWith("[web] | "));
    const lastRunning = lines.map((l) => l.includes("build Running - ")).lastIndexOf(true);
    assert.ok(firstLog >= 0 && firstLog < lastRunning, lines.join("\n"));
  });

  it("a log the identity may not read (403) gets one line naming the role and scope; the build result stands", async () => {
    forgetConnections();
    await emu.admin.injectFault({ method: "POST", path: "/oauth2/v2.0/token$", kind: "storageForbidden", count: 5 });
    await failNext("tpl-403");
    const { error, lines } = await create("tpl-403", { when: "onCreate" });
    await emu.admin.clearFaults();
    forgetConnections();
    const e = error as PartialStateError;
    assert.match(e.message, /build of image template "tpl-403".* failed \(runState Failed: PackerBuildFailed: /);
    const staging = e.properties.exactStagingResourceGroup as string;
    const advice = lines.filter((l) => l.includes("Storage Blob Data Reader"));
    assert.equal(advice.length, 1);
    assert.ok(advice[0].includes(`Cannot read ${e.properties.lastBuildLog} (403 `));
    assert.ok(advice[0].includes(`"Storage Blob Data Reader" role on ${staging}`));
    assert.equal(e.properties.buildPending, true);
    assert.equal(e.properties.lastRunStatusRunState, "Failed");
  });

  it("a log whose storage account is not in the staging group: still the build's result, and what is missing", async () => {
    const old = "https://oldstagingacct01.blob.core.windows.net/packerlogs/0b1c/customization.log";
    await failNext("tpl-gone", {
      message: `Packer build command has failed: exit status 1. Image Build log location: ${old}. OperationId: x.`,
    });
    const { error, lines } = await create("tpl-gone", { when: "onCreate" });
    const e = error as PartialStateError;
    assert.match(
      e.message,
      /failed \(runState Failed: Packer build command has failed: exit status 1\. Image Build log location/,
    );
    const staging = e.properties.exactStagingResourceGroup as string;
    assert.ok(
      lines.some((l) => l.includes(`The staging resource group ${staging} has no storage account oldstagingacct01.`)),
    );
    assert.equal(e.properties.lastBuildLog, undefined);
    assert.equal(
      e.properties.lastBuildError,
      `Packer build command has failed: exit status 1. Image Build log location: ${old}. OperationId: x.`,
    );
    assert.equal(e.properties.buildPending, true);
  });

  it('build.logs "off" never reads the log', async () => {
    await failNext("tpl-off");
    await emu.admin.clearRequests();
    const { error } = await create("tpl-off", { when: "onCreate", logs: "off" });
    const e = error as PartialStateError;
    assert.match(
      e.message,
      /failed \(runState Failed: PackerBuildFailed: .*\. The template is kept; the next pulumi up runs the build again\.$/,
    );
    assert.equal(e.properties.lastBuildLog, undefined);
    assert.ok(!(await emu.admin.requests()).some((r) => r.path.includes("Microsoft.Storage")));
  });
});

describe("provider: build logs in the older shape against the emulator", function () {
  this.timeout(60_000);
  let emu: TestEmulator;
  let restoreEnv: () => void;

  before(async () => {
    emu = await startTestEmulator({ buildDurationMs: 600, logShape: "older" });
    trustEmulatorCertificate(emu.caPem);
    restoreEnv = applyEmulatorEnv(emu);
    forgetConnections();
  });
  after(async () => {
    restoreEnv?.();
    forgetConnections();
    await emu?.stop();
  });

  it("names the failing step from PACKER OUT/ERR lines and shows each of its UI lines once", async () => {
    await emu.admin.injectFault({
      method: "POST",
      path: "/imageTemplates/tpl-older/run$",
      kind: "failBuild",
      customizer: "configure",
      output: ["Failed to enable unit: Unit file nginx.service does not exist."],
    });
    const news = templateArgs(emu.subscriptionId, RG, {
      imageTemplateName: "tpl-older",
      customize: [
        { type: "Shell", name: "install-nginx", inline: ["sudo apt-get install -y nginx"] },
        { type: "Shell", name: "configure", inline: ["sudo systemctl enable nginx"] },
      ],
      build: { when: "onCreate" },
      __pulumiName: "web",
      __provider: "serialized-provider-text",
    });
    const checked = await provider.check({}, news);
    const { error } = await capture(() =>
      provider.create({ ...checked.inputs, __provider: "serialized-provider-text" }),
    );
    const e = error as PartialStateError;
    assert.match(e.message, /\nFailing step: customizer 2\/2 "configure" \(Shell\)\.\n/);
    const shown = e.message.split("\n").filter((l) => l.startsWith("    "));
    assert.match(shown[0], /^ {4}PACKER OUT ==> azure-arm: Provisioning with shell script: \/tmp\/packer-shell\d+$/);
    assert.ok(
      shown.includes("    PACKER OUT     azure-arm: Failed to enable unit: Unit file nginx.service does not exist."),
    );
    // Packer's error is on stdout and in its log (ui error:): shown once.
    assert.equal(shown.filter((l) => l.includes("Build 'azure-arm' errored after")).length, 1);
    assert.equal(
      e.properties.lastBuildError,
      'customizer "configure" (Shell): Script exited with non-zero exit status: 1. Allowed exit codes are: [0]',
    );
  });
});
