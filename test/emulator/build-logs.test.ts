import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ContainerClient, type StoragePipelineOptions } from "@azure/storage-blob";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator";
import { arm, settle, templateBody, templatePath, waitFor, type AnyJson, type Arm } from "./util";

const STORAGE_API = "api-version=2023-05-01";

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
    assert.ok(
      lines.every((l) => l.startsWith(`[${operationId}] PACKER `)),
      "every line carries the operation id",
    );
    const index = (needle: string) => lines.findIndex((l) => l.includes(needle));
    assert.ok(index('Customizer 1/3: "install-nginx" (Shell)') >= 0);
    assert.ok(index("azure-arm: + sudo apt-get install -y nginx") > index('Customizer 1/3: "install-nginx"'));
    assert.ok(index('Customizer 2/3: "site" (File)') > index("apt-get install"));
    assert.ok(index("curl: (22) The requested URL returned error: 404") > index('Customizer 2/3: "site"'));
    assert.equal(index('"configure"'), -1, "the build stops at the failing customizer");
    assert.match(lines.at(-1)!, /PACKER OUT --> azure-arm: Script exited with non-zero exit status/);
    assert.ok(lines.some((l) => / PACKER ERR \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d ui error: /.test(l)));
  });

  it("appends to the log while the build runs, and a succeeded build logs validation and distribution", async () => {
    await emu.admin.setTiming({ buildDurationMs: 2000 });
    const t = await created("growing");
    await a.request("POST", templatePath(sub, "rg", "growing", "/run"));
    const staging: string = t.properties.exactStagingResourceGroup;
    const [account] = (await a.request("GET", `${staging}/providers/Microsoft.Storage/storageAccounts?${STORAGE_API}`))
      .body.value;
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
    const status = await waitFor(
      async () => (await a.request("GET", templatePath(sub, "rg", "growing"))).body.properties.lastRunStatus,
      (s) => s.runState === "Succeeded",
    );
    assert.equal(status.message, "");
    const full = (await blob.downloadToBuffer()).toString();
    assert.ok(full.length > early.length && full.startsWith(early), "the log only grows");
    assert.match(full, /Distributing ManagedImage "managed"/);
    assert.match(full, /Builds finished/);
    await emu.admin.setTiming({ buildDurationMs: 600 });
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
      assert.equal(new Set(lines).size, lines.length, "no line written twice");
      assert.match(lines[0], /output will be in this color/);
      assert.match(lines.at(-1)!, /Azure\.ResourceManagement\.VMImage/);
    } finally {
      await second.stop();
    }
  });
});
