import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as https from "node:https";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { EmulatorAdmin } from "../../emulator";

/** `npm test` builds first; the CLI and walkthrough are tested as shipped, from dist/. */
const DIST = path.resolve(__dirname, "../../dist/emulator");
const CLI = path.join(DIST, "cli.js");

/** The HTTP status of a GET, or the connection error's code. */
function probe(url: string, ca: string): Promise<number | string> {
  return new Promise((resolve) => {
    https
      .get(url, { ca }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

function readyLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`CLI exited early with ${code}`)));
  });
}

describe("emulator: CLI and SDK walkthrough", function () {
  let dataDir: string;
  before(function () {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first (npm test does)`);
  });
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "emu-cli-"));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it("--help documents every flag", () => {
    const r = spawnSync(process.execPath, [CLI, "--help"], { encoding: "utf8" });
    assert.equal(r.status, 0);
    for (const flag of [
      "--port",
      "--host",
      "--data-dir",
      "--lro-duration-ms",
      "--build-duration-ms",
      "--retry-after-seconds",
      "--sync-patch",
      "--async-trigger-delete",
      "--token-lifetime-seconds",
      "--page-size",
      "--poll-interval-ms",
      "--log-shape",
      "--quiet",
      "--help",
    ]) {
      assert.ok(r.stdout.includes(flag), `--help lacks ${flag}`);
    }
    const bad = spawnSync(process.execPath, [CLI, "--port", "abc"], { encoding: "utf8" });
    assert.equal(bad.status, 2);
    const shape = spawnSync(process.execPath, [CLI, "--log-shape", "newest"], { encoding: "utf8" });
    assert.equal(shape.status, 2);
    assert.match(shape.stderr, /^--log-shape must be recent or older, got 'newest'\n/);
  });

  it("prints exactly one ready JSON line, serves HTTPS, and stops on SIGTERM; the walkthrough runs with its env", async () => {
    const child = spawn(
      process.execPath,
      [
        CLI,
        "--port",
        "0",
        "--data-dir",
        dataDir,
        "--lro-duration-ms",
        "50",
        "--build-duration-ms",
        "300",
        "--retry-after-seconds",
        "1",
        "--sync-patch",
        "--async-trigger-delete",
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    const line = await readyLine(child);
    child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
    const ready = JSON.parse(line);
    assert.deepEqual(Object.keys(ready).sort(), [
      "adminToken",
      "blobUrl",
      "caCertPath",
      "clientCertificatePath",
      "clientId",
      "clientSecret",
      "env",
      "identityEndpoint",
      "identityHeader",
      "oidcRequestToken",
      "oidcRequestUrl",
      "subscriptionId",
      "tenantId",
      "url",
    ]);
    assert.equal(ready.oidcRequestUrl, `${ready.url}/oidc/token?api-version=2.0`);
    assert.equal(ready.identityEndpoint, `${ready.url}/msi/token`);
    assert.match(readFileSync(ready.clientCertificatePath, "utf8"), /PRIVATE KEY-----[\s\S]+BEGIN CERTIFICATE/);
    assert.match(ready.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    // The blob endpoint (the gateway in front of Azurite) serves HTTPS with the emulator's certificate, and knows only
    // the staging accounts.
    const blobAnswer = await probe(
      `${ready.blobUrl}/devstoreaccount1?comp=list`,
      readFileSync(ready.caCertPath, "utf8"),
    );
    assert.equal(blobAnswer, 404);
    assert.deepEqual(Object.keys(ready.env).sort(), [
      "ARM_CLIENT_ID",
      "ARM_CLIENT_SECRET",
      "ARM_SUBSCRIPTION_ID",
      "ARM_TENANT_ID",
      "AZURE_AUTHORITY_HOST",
      "AZURE_CLIENT_ID",
      "AZURE_CLIENT_SECRET",
      "AZURE_IMAGEBUILDER_POLL_INTERVAL_MS",
      "AZURE_RESOURCE_MANAGER_ENDPOINT",
      "AZURE_SUBSCRIPTION_ID",
      "AZURE_TENANT_ID",
      "NODE_EXTRA_CA_CERTS",
    ]);
    assert.equal(ready.env.NODE_EXTRA_CA_CERTS, ready.caCertPath);
    assert.match(ready.adminToken, /^[0-9a-f]{64}$/);
    const admin = new EmulatorAdmin(ready.url, readFileSync(ready.caCertPath), ready.adminToken);
    assert.deepEqual((await admin.state()).templates, [], "the ready line's admin token opens the admin API");
    assert.deepEqual(await admin.setTiming({}), {
      lroDurationMs: 50,
      buildDurationMs: 300,
      retryAfterSeconds: 1,
      syncPatch: true,
      syncTriggerDelete: false,
    });
    admin.close();

    const walk = spawnSync(process.execPath, [path.join(DIST, "examples", "sdk-walkthrough.js")], {
      env: { PATH: process.env.PATH, ...ready.env },
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(walk.status, 0, walk.stderr);
    assert.match(walk.stdout, /created .* \(Succeeded\)/);
    assert.match(walk.stdout, /tags now \{"stage":"demo"\}/);
    assert.match(walk.stdout, /build Succeeded/);
    assert.match(walk.stdout, /run output managed: \/subscriptions\//);
    assert.match(walk.stdout, /deleted/);

    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
    assert.equal(await probe(ready.blobUrl, ""), "ECONNREFUSED", "the blob endpoint stops with the emulator");
    assert.equal(stdout, "", "nothing but the ready line may go to stdout");
    assert.match(stderr, /listening on https:\/\/127\.0\.0\.1/);
  });
});
