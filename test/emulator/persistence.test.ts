import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { startEmulator as startBareEmulator } from "../../emulator";
import { emptyState, parseState } from "../../emulator/model";
import { readPersisted } from "../../emulator/persistence";
import { generateSchema } from "../../emulator/schema/generate";
import { startTestEmulator as startEmulator, type TestEmulator } from "../helpers/emulator";
import { arm as armClient, settle, templateBody, templatePath, type Arm } from "./util";

describe("emulator: persistence across restarts", function () {
  let dataDir: string;
  // Whatever a test started and did not stop is stopped after it, so a failed assertion never leaves a server
  // holding mocha open.
  const running = new Set<TestEmulator>();
  const clients = new Set<Arm>();
  const startTestEmulator = async (options: Parameters<typeof startEmulator>[0]) => {
    const emu = await startEmulator(options);
    const stop = emu.stop;
    emu.stop = async () => {
      running.delete(emu);
      await stop();
    };
    running.add(emu);
    return emu;
  };
  const arm = async (emu: TestEmulator) => {
    const client = await armClient(emu);
    clients.add(client);
    return client;
  };
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "emu-persist-"));
  });
  afterEach(async () => {
    for (const client of clients) client.close();
    clients.clear();
    for (const emu of [...running]) await emu.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("keeps state, credentials and certificate across a restart on the same data dir", async () => {
    const first = await startTestEmulator({ dataDir });
    const a = await arm(first);
    await settle(
      a,
      await a.request("PUT", templatePath(first.subscriptionId, "rg", "kept"), templateBody(first.subscriptionId)),
    );
    await settle(a, await a.request("POST", templatePath(first.subscriptionId, "rg", "kept", "/run")));
    a.close();
    await first.stop();

    const second = await startTestEmulator({ dataDir });
    assert.deepEqual(
      [second.tenantId, second.clientId, second.clientSecret, second.subscriptionId, second.caPem],
      [first.tenantId, first.clientId, first.clientSecret, first.subscriptionId, first.caPem],
    );
    const b = await arm(second);
    const t = await b.request("GET", templatePath(second.subscriptionId, "rg", "kept"));
    assert.equal(t.status, 200);
    assert.equal(t.body.properties.provisioningState, "Succeeded");
    assert.equal(t.body.properties.lastRunStatus.runState, "Succeeded");
    assert.equal(
      (await b.request("GET", templatePath(second.subscriptionId, "rg", "kept", "/runOutputs"))).body.value.length,
      1,
    );
  });

  it("finishes what is due when its clock is advanced, keeps that time across a restart, and reset undoes it", async () => {
    const hour = 3600_000;
    const first = await startTestEmulator({ dataDir, lroDurationMs: hour, buildDurationMs: hour });
    const a = await arm(first);
    const path1 = templatePath(first.subscriptionId, "rg", "clocked");
    const put = await a.request("PUT", path1, templateBody(first.subscriptionId));
    const monitor = String(put.headers["azure-asyncoperation"]);
    assert.equal((await a.request("GET", monitor)).body.status, "InProgress");
    const advanced = await first.admin.advanceClock(hour);
    assert.equal(advanced.offsetMs, hour);
    assert.ok(
      Date.parse(advanced.now) >= Date.now() + hour - 1000,
      `the emulator's now is an hour ahead: ${advanced.now}`,
    );
    assert.equal((await a.request("GET", monitor)).body.status, "Succeeded");
    assert.equal((await a.request("GET", path1)).body.properties.provisioningState, "Succeeded");
    // A build started now ends an hour of emulator time later, whatever the machine's clock does meanwhile.
    await a.request("POST", templatePath(first.subscriptionId, "rg", "clocked", "/run"));
    assert.equal((await a.request("GET", path1)).body.properties.lastRunStatus.runState, "Running");
    a.close();
    await first.stop();

    const second = await startTestEmulator({ dataDir, lroDurationMs: hour, buildDurationMs: hour });
    const b = await arm(second);
    const run = async () => (await b.request("GET", path1)).body.properties.lastRunStatus.runState;
    assert.equal(
      await run(),
      "Running",
      "the restart kept the advanced time: the build is not over, nor run backwards",
    );
    assert.equal((await second.admin.advanceClock(hour)).offsetMs, 2 * hour);
    assert.equal(await run(), "Succeeded");
    await assert.rejects(second.admin.advanceClock(-1), /advanceMs must be a number of ms >= 0/);
    await second.admin.reset();
    assert.equal((await second.admin.advanceClock(0)).offsetMs, 0, "reset puts the clock back");
  });

  it("removes the data dir it made itself when stopped, keys and secrets with it", async () => {
    // The emulator itself (the test helper keeps emulators for reuse under mutation testing).
    const emu = await startBareEmulator({ quiet: true });
    const made = emu.dataDir;
    assert.ok((await readdir(made)).includes("key.pem"), "sanity: the signing key lives there while it runs");
    await emu.stop();
    await assert.rejects(stat(made), { code: "ENOENT" });
  });

  it("never loses an acknowledged write under concurrency and leaves a valid state file", async () => {
    const emu = await startTestEmulator({ dataDir });
    const a = await arm(emu);
    const names = Array.from({ length: 60 }, (_, i) => `c${i}`);
    const responses = await Promise.all(
      names.map((n) => a.request("PUT", templatePath(emu.subscriptionId, "rg", n), templateBody(emu.subscriptionId))),
    );
    assert.ok(responses.every((r) => r.status === 201));
    // Acknowledged = on disk now, before any stop/flush: read the file while the emulator still runs.
    const onDisk = await readPersisted(path.join(dataDir, "state.json"), emptyState, parseState);
    assert.equal(Object.keys(onDisk.templates).length, names.length);
    a.close();
    await emu.stop();
    const again = await startTestEmulator({ dataDir });
    const restored = (await again.admin.state()).templates.map((t) => t.name).sort();
    assert.deepEqual(restored, [...names].sort());
    await again.stop();
  });

  it("refuses to start on a corrupt state file instead of silently discarding it", async () => {
    const emu = await startTestEmulator({ dataDir });
    await emu.stop();
    await (await import("node:fs/promises")).writeFile(path.join(dataDir, "state.json"), "{truncated");
    await assert.rejects(startTestEmulator({ dataDir }), /Cannot load emulator state/);
  });

  it("ships a validation schema in sync with the OpenAPI description in reference/", async () => {
    const spec = JSON.parse(
      await readFile(path.resolve(__dirname, "../../reference/imagebuilder-2025-10-01/openapi.json"), "utf8"),
    );
    const committed = JSON.parse(
      await readFile(path.resolve(__dirname, "../../emulator/schema/imagebuilder-2025-10-01.schema.json"), "utf8"),
    );
    assert.deepEqual(committed, generateSchema(spec));
  });
});
