/**
 * Build logs in streaming mode (build.logs "stream"): log bytes read per byte of log (goal ≤ 1.1: only the new bytes
 * are read) and blob requests per status poll (goal ≤ 1), for builds of a few customizers against the emulator's
 * Azurite. Each case runs the real provider code (dist/) in a child process with only the emulator's env, as the
 * engine's provider host would, and reports the counts its BuildLog kept.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import type { RunningEmulator } from "../emulator";
import { onEmulator } from "./case-emulator";
import { benchTemplateArgs } from "./programs/template-args";
import { runWhenMain } from "./run";

export interface BuildLogRow {
  customizers: number;
  durationMs: number;
  /** Status polls while the build ran (each may read the log once). */
  polls: number;
  blobRequests: number;
  logBytes: number;
  bytesRead: number;
  bytesReadPerLogByte: number;
  blobRequestsPerPoll: number;
}

const CASES = [
  { customizers: 3, durationMs: 4000 },
  { customizers: 12, durationMs: 8000 },
];
const DIST = path.resolve(__dirname, "..", "provider");

function childScript(subscriptionId: string, customizers: number): string {
  const inputs = {
    ...benchTemplateArgs(subscriptionId, "bench-logs", {}),
    customize: Array.from({ length: customizers }, (_, i) => ({
      type: "Shell",
      name: `step-${i + 1}`,
      inline: [`echo step ${i + 1}`, "sudo apt-get install -y curl"],
    })),
  };
  const dist = (m: string) => JSON.stringify(path.join(DIST, m));
  return `const ops = require(${dist("image-template/operations.js")});
const { connect } = require(${dist("azure/client.js")});
const { runBuild } = require(${dist("image-template/build.js")});
const { BuildProgress } = require(${dist("image-template/progress.js")});
const { resolveBuild } = require(${dist("image-template/build-settings.js")});
const { BuildLog } = require(${dist("image-template/build-log.js")});
const { BlobClient } = require("@azure/storage-blob");
(async () => {
  const checked = await ops.check({}, ${JSON.stringify(inputs)});
  if (checked.failures.length) throw new Error(JSON.stringify(checked.failures));
  await ops.create(checked.inputs);
  const a = { subscriptionId: ${JSON.stringify(subscriptionId)}, resourceGroupName: "rg-bench", imageTemplateName: "bench-logs" };
  const c = connect(a.subscriptionId);
  const log = new BuildLog(c, "stream", () => undefined);
  let polls = 0;
  const settings = resolveBuild({ build: { when: "onCreate" } });
  const result = await runBuild(c, a, settings, new BuildProgress("bench", undefined, [], () => undefined), async (t) => {
    polls += 1;
    await log.poll(t);
  });
  if (result.outcome !== "Succeeded" || !log.url) throw new Error("build " + result.outcome + ", log " + log.url);
  const logBytes = (await new BlobClient(log.url, c.credential).getProperties()).contentLength;
  console.log(JSON.stringify({ polls, blobRequests: log.blobRequests, bytesRead: log.bytesRead, logBytes }));
})().catch((e) => { console.error(e); process.exit(1); });`;
}

/** On `shared` (the harness's emulator) when given, else on an emulator of its own per case. */
export async function buildLogFigures(shared?: RunningEmulator): Promise<BuildLogRow[]> {
  const rows: BuildLogRow[] = [];
  for (const c of CASES) {
    const timing = { lroDurationMs: 200, buildDurationMs: c.durationMs, retryAfterSeconds: 1 };
    const stdout = await onEmulator(shared, timing, async (emu) => {
      const child = await promisify(execFile)(
        process.execPath,
        ["-e", childScript(emu.subscriptionId, c.customizers)],
        {
          env: { ...process.env, ...emu.env, AZURE_IMAGEBUILDER_POLL_INTERVAL_MS: "200" },
        },
      );
      return child.stdout;
    });
    const r = JSON.parse(stdout.trim().split("\n").pop()!) as Pick<
      BuildLogRow,
      "polls" | "blobRequests" | "bytesRead" | "logBytes"
    >;
    rows.push({
      ...c,
      ...r,
      bytesReadPerLogByte: Number((r.bytesRead / r.logBytes).toFixed(3)),
      blobRequestsPerPoll: Number((r.blobRequests / r.polls).toFixed(3)),
    });
  }
  return rows;
}

/** The section BENCHMARKS.md gets from `npm run bench`. */
export function renderBuildLogs(rows: BuildLogRow[]): string {
  const lines = [
    "## Build logs in streaming mode",
    "",
    'build.logs "stream" reads only the bytes appended since its last read, at the pace of the status polls. Goals: ' +
      "log bytes read per byte of log ≤ 1.1, blob requests per status poll ≤ 1 (`node dist/bench/build-logs.js`).",
    "",
    "| customizers | build (ms) | status polls | blob requests | per poll | log bytes | bytes read | read per log byte |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.customizers} | ${r.durationMs} | ${r.polls} | ${r.blobRequests} | ${r.blobRequestsPerPoll} | ${r.logBytes} | ${r.bytesRead} | ${r.bytesReadPerLogByte} |`,
    ),
  ];
  return `${lines.join("\n")}\n`;
}

runWhenMain(module, async () => {
  const rows = await buildLogFigures();
  console.table(rows);
  process.stdout.write(renderBuildLogs(rows));
});
