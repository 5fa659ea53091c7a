/**
 * HTTP requests the provider issues while waiting for an image build of duration D when the service asks for
 * Retry-After R, next to the minimum ceil(D/R) (one status read per interval the service asked for).
 *
 * Each case runs the real provider (dist/provider/image-template/operations.js) in a child process with only the emulator's env, as
 * the engine's provider host would: create a template with `build: { when: "onCreate" }`. The emulator's request log
 * then tells which requests came after the run was started (POST .../run) and read the template's status.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import type { RequestLogEntry, RunningEmulator } from "../emulator";
import { onEmulator } from "./case-emulator";
import { templateArgs } from "../test/fixtures/template-args";
import { runWhenMain } from "./run";

export interface BuildRequestCount {
  durationMs: number;
  retryAfterS: number;
  /** Status reads (GET of the template) between starting the run and seeing it end. */
  requests: number;
  /** ceil(D/R): one read per Retry-After interval, the last one seeing the build done. */
  minimum: number;
}

const CASES: { durationMs: number; retryAfterS: number }[] = [
  { durationMs: 4000, retryAfterS: 1 },
  { durationMs: 8000, retryAfterS: 2 },
];

const OPERATIONS = path.resolve(__dirname, "..", "provider", "image-template", "operations.js");

/** A node -e script creating a template with `build: { when: "onCreate" }` through the built provider. */
export function childScript(subscriptionId: string): string {
  const inputs = templateArgs(subscriptionId, "rg-bench", {
    imageTemplateName: "bench-build",
    distribute: [{ type: "VHD", runOutputName: "vhd" }],
    build: { when: "onCreate" },
  });
  return `const ops = require(${JSON.stringify(OPERATIONS)});
(async () => {
  const checked = await ops.check({}, ${JSON.stringify(inputs)});
  if (checked.failures.length) throw new Error(JSON.stringify(checked.failures));
  await ops.create(checked.inputs);
})().catch((e) => { console.error(e); process.exit(1); });`;
}

/** Status reads of the template after the run POST (listRunOutputs and identity requests excluded). */
export function waitRequests(log: readonly RequestLogEntry[]): number {
  const started = log.findIndex((e) => e.method === "POST" && /\/imageTemplates\/[^/]+\/run$/.test(e.path));
  if (started < 0) throw new Error("no build was started");
  return log
    .slice(started + 1)
    .filter((e) => e.kind === "arm" && e.method === "GET" && /\/imageTemplates\/[^/]+$/.test(e.path)).length;
}

/** On `shared` (the harness's emulator) when given, else on an emulator of its own per case. */
export async function buildRequestCounts(shared?: RunningEmulator): Promise<BuildRequestCount[]> {
  const results: BuildRequestCount[] = [];
  for (const c of CASES) {
    const timing = { lroDurationMs: 200, buildDurationMs: c.durationMs, retryAfterSeconds: c.retryAfterS };
    const requests = await onEmulator(shared, timing, async (emu) => {
      await promisify(execFile)(process.execPath, ["-e", childScript(emu.subscriptionId)], {
        env: { ...process.env, ...emu.env },
      });
      return waitRequests(await emu.admin.requests());
    });
    results.push({ ...c, requests, minimum: Math.ceil(c.durationMs / (c.retryAfterS * 1000)) });
  }
  return results;
}

runWhenMain(module, async () => console.table(await buildRequestCounts()));
