/**
 * Emulator throughput: GET/s and complete create-LROs/s (PUT, then poll the Azure-AsyncOperation monitor until
 * Succeeded) at several concurrencies, over direct HTTPS with a bearer token from the emulator's token endpoint.
 * The emulator runs as its CLI in a child process (lroDurationMs 0), so client and server use separate cores as
 * they would in practice.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import * as https from "node:https";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { createInterface } from "node:readline";
import type { RunningEmulator } from "../emulator";
import { requestText } from "../emulator/https-client";
import { runWhenMain } from "./run";

export interface EmulatorThroughputOptions {
  /** Measurement time per figure (default 3000 ms). */
  durationMs?: number;
  concurrencies?: number[];
}

export interface ThroughputRow {
  concurrency: number;
  getPerSec: number;
  createLrosPerSec: number;
}

/** The ready line the emulator's CLI prints. */
type Ready = Pick<RunningEmulator, "url" | "caCertPath" | "tenantId" | "clientId" | "clientSecret" | "subscriptionId">;

async function startCli(dataDir: string): Promise<{ child: ChildProcess; ready: Ready }> {
  const cli = path.join(__dirname, "..", "emulator", "cli.js");
  const child = spawn(
    process.execPath,
    [cli, "--port", "0", "--data-dir", dataDir, "--lro-duration-ms", "0", "--retry-after-seconds", "0", "--quiet"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  return { child, ready: JSON.parse(line) as Ready };
}

/** Runs `worker` on `concurrency` loops for `durationMs`; returns completed iterations per second. */
async function measure(concurrency: number, durationMs: number, worker: (i: number) => Promise<void>): Promise<number> {
  const deadline = Date.now() + durationMs;
  let done = 0;
  let seq = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        await worker(seq++);
        done++;
      }
    }),
  );
  return Math.round((done * 1000) / (Date.now() - started));
}

export async function emulatorThroughput(opts: EmulatorThroughputOptions = {}): Promise<ThroughputRow[]> {
  const durationMs = opts.durationMs ?? 3000;
  const dataDir = await mkdtemp(path.join(tmpdir(), "emulator-bench-"));
  const { child, ready } = await startCli(dataDir);
  const agent = new https.Agent({ ca: await readFile(ready.caCertPath), keepAlive: true, maxSockets: 256 });
  try {
    const tokenResponse = await requestText(
      agent,
      "POST",
      `${ready.url}/${ready.tenantId}/oauth2/v2.0/token`,
      { "Content-Type": "application/x-www-form-urlencoded" },
      new URLSearchParams({
        grant_type: "client_credentials",
        client_id: ready.clientId,
        client_secret: ready.clientSecret,
        scope: "https://management.azure.com/.default",
      }).toString(),
    );
    const auth = {
      Authorization: `Bearer ${(JSON.parse(tokenResponse.text) as { access_token: string }).access_token}`,
    };
    const base = `${ready.url}/subscriptions/${ready.subscriptionId}/resourceGroups/bench/providers/Microsoft.VirtualMachineImages/imageTemplates`;
    const body = (name: string) =>
      JSON.stringify({
        location: "westus",
        identity: {
          type: "UserAssigned",
          userAssignedIdentities: {
            [`/subscriptions/${ready.subscriptionId}/resourceGroups/bench/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`]:
              {},
          },
        },
        properties: {
          source: { type: "PlatformImage", publisher: "p", offer: "o", sku: "s", version: "latest" },
          distribute: [{ type: "ManagedImage", runOutputName: "out", imageId: "/x", location: "westus" }],
        },
      });
    const put = await requestText(
      agent,
      "PUT",
      `${base}/probe?api-version=2025-10-01`,
      { ...auth, "Content-Type": "application/json" },
      body("probe"),
    );
    if (put.status !== 201) throw new Error(`probe PUT failed: ${put.status} ${put.text}`);

    const rows: ThroughputRow[] = [];
    let run = 0;
    for (const concurrency of opts.concurrencies ?? [1, 16, 64]) {
      const getPerSec = await measure(concurrency, durationMs, async () => {
        const r = await requestText(agent, "GET", `${base}/probe?api-version=2025-10-01`, auth);
        if (r.status !== 200) throw new Error(`GET failed: ${r.status}`);
      });
      run++;
      const createLrosPerSec = await measure(concurrency, durationMs, async (i) => {
        const name = `t-${run}-${i}`;
        const r = await requestText(
          agent,
          "PUT",
          `${base}/${name}?api-version=2025-10-01`,
          { ...auth, "Content-Type": "application/json" },
          body(name),
        );
        if (r.status !== 201) throw new Error(`PUT failed: ${r.status} ${r.text}`);
        const monitor = String(r.headers["azure-asyncoperation"]);
        for (;;) {
          const s = await requestText(agent, "GET", monitor, auth);
          const status = (JSON.parse(s.text) as { status: string }).status;
          if (status === "Succeeded") break;
          if (status !== "InProgress") throw new Error(`LRO ended ${status}`);
        }
      });
      rows.push({ concurrency, getPerSec, createLrosPerSec });
    }
    return rows;
  } finally {
    agent.destroy();
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
    await rm(dataDir, { recursive: true, force: true });
  }
}

runWhenMain(module, async () => console.table(await emulatorThroughput()));
