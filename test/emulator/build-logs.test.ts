import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ContainerClient, type StoragePipelineOptions } from "@azure/storage-blob";
import { POOL_SIZE } from "../../emulator/storage-accounts";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator";
import { arm, frozenClock, settle, templateBody, templatePath, waitFor, type AnyJson, type Arm } from "./util";

const STORAGE_API = "api-version=2023-05-01";
const STAMP = String.raw`\d{4}/\d\d/\d\d \d\d:\d\d:\d\d`;
/** The line shapes of the service's customization.log (build-logs.md): recent, and older with stdout/stderr apart. */
const SHAPES = {
  recent: new RegExp(
    String.raw`^PACKER (${STAMP} (ui: .*|ui error: .*|\[INFO\] .+|packer-plugin-azure plugin: .+|Cancelling .+)|==> .+|--> .+|Done exporting Packer logs to Azure Storage\.|Cancelling build after receiving terminated)$`,
  ),
  older: new RegExp(String.raw`^PACKER (OUT .*|ERR ${STAMP} .+|ERR ==> .+)$`),
};

/** Every line is the run's, in one real shape, with no invented per-step header. */
function assertRealShape(lines: string[], operationId: string | undefined, shape: keyof typeof SHAPES): void {
  for (const line of lines) {
    const m = /^\[([0-9a-f-]{36})\] (.*)$/.exec(line);
    assert.ok(m, `no operation id: ${line}`);
    if (operationId) assert.equal(m[1], operationId, line);
    assert.match(m[2], SHAPES[shape]);
    assert.doesNotMatch(m[2], /Customizer \d+\/\d+|Validation \d+\/\d+|Distributing /, "no invented header");
  }
}

describe("emulator: staging storage and build logs (Azurite)", function () {
  let emu: TestEmulator;
  let a: Arm;
  let sub: string;
  before(async () => {
    emu = await startTestEmulator({ lroDurationMs: 30, buildDurationMs: 600 });
    a = await arm(emu);
    sub = emu.subscriptionId;
  });
  after(async () => {
    a.close();
    await emu.stop();
  });

  const steps = [
    { type: "Shell", name: "install-nginx", inline: ["sudo apt-get update", "sudo apt-get install -y nginx"] },
    { type: "File", name: "site", sourceUri: "https://example.com/index.html", destination: "/tmp/index.html" },
    { type: "Shell", name: "configure", inline: ["sudo systemctl enable nginx"] },
  ];

  async function created(name: string) {
    const put = await a.request(
      "PUT",
      templatePath(sub, "rg", name),
      templateBody(sub, { properties: { customize: steps } }),
    );
    assert.equal((await settle(a, put)).status, "Succeeded");
    return (await a.request("GET", templatePath(sub, "rg", name))).body as AnyJson;
  }

  async function logUrl(staging: string, message: string): Promise<string> {
    const listed = await a.request("GET", `${staging}/providers/Microsoft.Storage/storageAccounts?${STORAGE_API}`);
    assert.equal(listed.status, 200);
    const [account] = listed.body.value;
    const m =
      /storageAccounts\/([a-z0-9]+)\/blobServices\/default\/containers\/packerlogs\/([0-9a-f-]+)\/customization\.log/.exec(
        message,
      );
    assert.ok(m, `no log location in: ${message}`);
    assert.equal(m[1], account.name, "the message names the staging account");
    return `${account.properties.primaryEndpoints.blob}packerlogs/${m[2]}/customization.log`;
  }

  it("lists the staging account with its blob endpoint in Azurite; an unknown group is not found", async () => {
    const t = await created("listed");
    const staging: string = t.properties.exactStagingResourceGroup;
    const listed = await a.request("GET", `${staging}/providers/Microsoft.Storage/storageAccounts?${STORAGE_API}`);
    assert.equal(listed.status, 200);
    assert.equal(listed.body.value.length, 1);
    const [account] = listed.body.value;
    assert.match(account.name, /^[a-z0-9]{24}$/);
    assert.equal(account.id, `${staging}/providers/Microsoft.Storage/storageAccounts/${account.name}`);
    assert.equal(account.properties.primaryEndpoints.blob, `${emu.blobUrl}/${account.name}/`);
    assert.match(emu.blobUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    const other = await a.request(
      "GET",
      `/subscriptions/${sub}/resourceGroups/IT_nothing/providers/Microsoft.Storage/storageAccounts?${STORAGE_API}`,
    );
    assert.equal(other.status, 404);
    assert.equal(other.body.error.code, "ResourceGroupNotFound");
    // Deleted with the template.
    await settle(a, await a.request("DELETE", templatePath(sub, "rg", "listed")));
    const gone = await a.request("GET", `${staging}/providers/Microsoft.Storage/storageAccounts?${STORAGE_API}`);
    assert.equal(gone.status, 404);
  });

  it("gives each template's staging group an account no other template has, as the service makes one per group", async () => {
    // Hashing groups into the pool gave two of a few templates the same account 1 time in 32 per pair, and each found
    // the other's logs there; a full pool of templates shows every account taken once.
    const names = Array.from({ length: POOL_SIZE }, (_, i) => `own-account-${i}`);
    const accounts = new Set<string>();
    for (const name of names) {
      const staging: string = (await created(name)).properties.exactStagingResourceGroup;
      const listed = await a.request("GET", `${staging}/providers/Microsoft.Storage/storageAccounts?${STORAGE_API}`);
      accounts.add(listed.body.value[0].name);
    }
    assert.equal(accounts.size, POOL_SIZE);
    for (const name of names) await settle(a, await a.request("DELETE", templatePath(sub, "rg", name)));
  });

  it("a failing build's log ends with the chosen customizer's output and errors; the status points at it", async () => {
    const t = await created("failing");
    await emu.admin.injectFault({
      method: "POST",
      path: "/imageTemplates/failing/run$",
      kind: "failBuild",
      customizer: "site",
      output: ["curl: (22) The requested URL returned error: 404"],
    });
    const run = await a.request("POST", templatePath(sub, "rg", "failing", "/run"));
    const operationId = String(run.headers["azure-asyncoperation"]).split("?")[0].split("/").pop();
    const op = await settle(a, run);
    assert.equal(op.error?.code, "PackerBuildFailed");
    const status = (await a.request("GET", templatePath(sub, "rg", "failing"))).body.properties.lastRunStatus;
    assert.match(
      status.message,
      new RegExp(`^PackerBuildFailed: During the image build a failure has occurred\\..*operationId ${operationId}`),
    );
    const text = (
      await emu.blob(await logUrl(t.properties.exactStagingResourceGroup, status.message)).downloadToBuffer()
    ).toString();
    const lines = text.trimEnd().split("\n");
    assertRealShape(lines, operationId!, "recent");
    const index = (needle: string) => lines.findIndex((l) => l.includes(needle));
    // No header per step: each shows as Packer's telemetry line and its provisioner's first line, in order.
    assert.deepEqual(
      lines.flatMap((l) => /\(telemetry\) Starting provisioner (\S+)$/.exec(l)?.[1] ?? []),
      ["shell", "file"],
      "the build stops at the failing customizer",
    );
    assert.ok(
      index("ui: ==> azure-arm: Provisioning with shell script: /tmp/packer-shell") > index("Connected to SSH!"),
    );
    assert.ok(index("ui: ==> azure-arm: Uploading index.html => /tmp/index.html") > index("(telemetry) ending shell"));
    assert.ok(
      index("ui:     azure-arm: curl: (22) The requested URL returned error: 404") > index("Uploading index.html"),
    );
    assert.ok(!text.includes("apt-get"), "inline commands are not echoed");
    assert.match(
      text,
      / ui error: Build 'azure-arm' errored after \d+ seconds: Script exited with non-zero exit status/,
    );
    assert.match(lines.at(-1)!, /\] PACKER Done exporting Packer logs to Azure Storage\.$/);
  });

  it("appends to the log while the build runs; a succeeded build's log ends with Packer's and shows no distribution", async () => {
    await emu.admin.setTiming({ buildDurationMs: 2000 });
    const t = await created("growing");
    // The emulator's clock (Date, mocked) stands still mid-build while the log is read, so a slow machine cannot let
    // the build finish before the first read.
    const clock = frozenClock();
    try {
      await a.request("POST", templatePath(sub, "rg", "growing", "/run"));
      clock.advance(1000);
      const staging: string = t.properties.exactStagingResourceGroup;
      const [account] = (
        await a.request("GET", `${staging}/providers/Microsoft.Storage/storageAccounts?${STORAGE_API}`)
      ).body.value;
      const logs = new ContainerClient(
        `${account.properties.primaryEndpoints.blob}packerlogs`,
        emu.credential(),
        emu.sdkOptions() as StoragePipelineOptions,
      );
      // The container appears with the account's first log.
      const folder = async () => {
        if (!(await logs.exists())) return undefined;
        for await (const b of logs.listBlobsFlat()) return b.name;
        return undefined;
      };
      const name = await waitFor(folder, (n) => n !== undefined);
      const blob = emu.blob(`${account.properties.primaryEndpoints.blob}packerlogs/${name}`);
      const early = (await blob.downloadToBuffer()).toString();
      assert.doesNotMatch(early, /Builds finished/, "read mid-build");
      clock.advance(1500);
      const status = (await a.request("GET", templatePath(sub, "rg", "growing"))).body.properties.lastRunStatus;
      assert.equal(status.runState, "Succeeded");
      assert.equal(status.message, "");
      const full = (await blob.downloadToBuffer()).toString();
      assert.ok(full.length > early.length && full.startsWith(early), "the log only grows");
      assertRealShape(full.trimEnd().split("\n"), undefined, "recent");
      assert.match(
        full,
        /\(telemetry\) Starting provisioner shell\n(.*\n)*.*\(telemetry\) Starting provisioner file\n/,
      );
      assert.match(full, /==> Builds finished but no artifacts were created\./);
      assert.doesNotMatch(full, /[Dd]istribut/, "the log is exported before the distribution");
    } finally {
      await clock.release();
      await emu.admin.setTiming({ buildDurationMs: 600 });
    }
  });
});

describe("emulator: build logs in the older shape (option logShape)", function () {
  let emu: TestEmulator;
  let a: Arm;
  before(async () => {
    emu = await startTestEmulator({ lroDurationMs: 30, buildDurationMs: 600, logShape: "older" });
    a = await arm(emu);
  });
  after(async () => {
    a.close();
    await emu.stop();
  });

  /** The run's whole log once the run has ended (its blob, found through the staging account). */
  async function runLog(name: string, properties: Record<string, unknown>, until: string[]) {
    const sub = emu.subscriptionId;
    await settle(a, await a.request("PUT", templatePath(sub, "rg", name), templateBody(sub, { properties })));
    const staging = (await a.request("GET", templatePath(sub, "rg", name))).body.properties.exactStagingResourceGroup;
    const run = await a.request("POST", templatePath(sub, "rg", name, "/run"));
    const operationId = String(run.headers["azure-asyncoperation"]).split("?")[0].split("/").pop()!;
    if (until.includes("Canceled")) await a.request("POST", templatePath(sub, "rg", name, "/cancel"));
    await waitFor(
      async () => (await a.request("GET", templatePath(sub, "rg", name))).body.properties.lastRunStatus?.runState,
      (s) => until.includes(s),
    );
    const [account] = (await a.request("GET", `${staging}/providers/Microsoft.Storage/storageAccounts?${STORAGE_API}`))
      .body.value;
    const logs = new ContainerClient(
      `${account.properties.primaryEndpoints.blob}packerlogs`,
      emu.credential(),
      emu.sdkOptions() as StoragePipelineOptions,
    );
    for await (const b of logs.listBlobsFlat()) {
      const text = (await logs.getBlobClient(b.name).downloadToBuffer()).toString("utf8");
      return { operationId, lines: text.trimEnd().split("\n") };
    }
    throw new Error("no log");
  }

  it("a Windows build: stdout and stderr apart, WinRM, each provisioner in order, the hidden deprovisioning last", async () => {
    const customize = [
      { type: "PowerShell", name: "tools", inline: ["Install-Tools -Token s3cr3t"] },
      { type: "WindowsRestart", name: "reboot" },
      { type: "WindowsUpdate", name: "updates" },
    ];
    const { operationId, lines } = await runLog("win", { customize }, ["Succeeded"]);
    assertRealShape(lines, operationId, "older");
    assert.deepEqual(
      lines.flatMap((l) => /\(telemetry\) Starting provisioner (\S+)$/.exec(l)?.[1] ?? []),
      ["powershell", "windows-restart", "windows-update", "powershell"],
    );
    const index = (needle: string) => lines.findIndex((l) => l.includes(needle));
    assert.ok(index("PACKER OUT     azure-arm: WinRM connected.") >= 0);
    assert.ok(index("PACKER OUT ==> azure-arm: Provisioning with powershell script: /tmp/powershell-provisioner") > 0);
    assert.ok(index("PACKER OUT ==> azure-arm: Restarting Machine") > index("(telemetry) ending powershell"));
    assert.ok(index("PACKER OUT ==> azure-arm: Uploading the Windows update elevated script...") > index("Restarting"));
    assert.ok(!lines.some((l) => l.includes("s3cr3t")), "inline commands (secrets among them) are not echoed");
    assert.match(lines.at(-1)!, /PACKER ERR \S+ \S+ \[INFO\] \(telemetry\) Finalizing\.$/);
    assert.ok(!lines.some((l) => l.includes("Done exporting")), "the older service wrote no closing line");
  });

  it("a canceled build's log ends with Packer's cancel and cleanup", async () => {
    await emu.admin.setTiming({ buildDurationMs: 4000 });
    try {
      const { operationId, lines } = await runLog("stopped", {}, ["Canceled"]);
      assertRealShape(lines, operationId, "older");
      assert.ok(lines.some((l) => l.endsWith("PACKER OUT Cancelling build after receiving terminated")));
      assert.ok(!lines.some((l) => l.includes("Builds finished")), "Packer did not finish the build");
    } finally {
      await emu.admin.setTiming({ buildDurationMs: 600 });
    }
  });
});

describe("emulator: build logs across a restart", function () {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "emu-logs-"));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it("a build that runs on through a restart keeps its log, each line once", async () => {
    const first = await startTestEmulator({ dataDir, lroDurationMs: 30, buildDurationMs: 4000 });
    const a = await arm(first);
    const sub = first.subscriptionId;
    await settle(a, await a.request("PUT", templatePath(sub, "rg", "kept"), templateBody(sub)));
    const staging = (await a.request("GET", templatePath(sub, "rg", "kept"))).body.properties.exactStagingResourceGroup;
    await a.request("POST", templatePath(sub, "rg", "kept", "/run"));
    // Stop while Building: the log holds its first lines only.
    await waitFor(
      async () => (await a.request("GET", templatePath(sub, "rg", "kept"))).body.properties.lastRunStatus?.runSubState,
      (s) => s === "Building",
    );
    a.close();
    await first.stop();

    const second = await startTestEmulator({ dataDir, lroDurationMs: 30, buildDurationMs: 4000 });
    try {
      const b = await arm(second);
      const status = await waitFor(
        async () => (await b.request("GET", templatePath(sub, "rg", "kept"))).body.properties.lastRunStatus,
        (s) => s.runState === "Succeeded",
      );
      // Azurite listens on a new port after the restart: the account says where.
      const [account] = (
        await b.request("GET", `${staging}/providers/Microsoft.Storage/storageAccounts?${STORAGE_API}`)
      ).body.value;
      b.close();
      assert.equal(status.runState, "Succeeded");
      const logs = new ContainerClient(
        `${account.properties.primaryEndpoints.blob}packerlogs`,
        second.credential(),
        second.sdkOptions() as StoragePipelineOptions,
      );
      const names: string[] = [];
      for await (const blob of logs.listBlobsFlat()) names.push(blob.name);
      assert.equal(names.length, 1);
      const lines = (await logs.getBlobClient(names[0]).downloadToBuffer()).toString("utf8").trimEnd().split("\n");
      // Each line once (lines may repeat within a second, so counted by what they mark): one customizer and the
      // service's deprovisioning step, each started and ended once; Packer started and ended once.
      const count = (re: RegExp) => lines.filter((l) => re.test(l)).length;
      assert.equal(count(/\(telemetry\) Starting provisioner shell$/), 2);
      assert.equal(count(/\(telemetry\) ending shell$/), 2);
      assert.equal(count(/Connected to SSH!$/), 1);
      assert.equal(count(/\(telemetry\) Finalizing\.$/), 1);
      assert.match(lines[0], /\[INFO\] Packer version: /);
      assert.match(lines.at(-1)!, /PACKER Done exporting Packer logs to Azure Storage\.$/);
    } finally {
      await second.stop();
    }
  });
});
