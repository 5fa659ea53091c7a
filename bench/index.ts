/**
 * `npm run bench`: every benchmark section in one run, a console summary, and BENCHMARKS.md rewritten with the
 * figures this run produced (plus bench/improvements.md, the before/after record, verbatim).
 * Sized to finish well inside 15 minutes on a 2-core machine; `--quick` (2 runs, smaller sizes) checks the harness.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { startEmulator } from "../emulator";
import { ensurePulumi } from "../toolchain/ensure-pulumi";
import { buildRequestCounts } from "./build-requests";
import { deploySection } from "./deploy";
import { emulatorThroughput } from "./emulator-throughput";
import { coldStartSection, stateBytes } from "./footprint";
import { previewSection, previewSettings, previewStack } from "./preview";
import { BenchProject } from "./project";
import { packageRoot } from "../provider/load";
import { headlines, renderMarkdown, type BenchResults, type BuildRequestsRow, type Throughput } from "./report";
import { summarize } from "./stats";

const LATENCY_MS = 1000;
const RETRY_AFTER_S = 1;

function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function throughputSection(runs: number, durationMs: number): Promise<Throughput> {
  const all: Awaited<ReturnType<typeof emulatorThroughput>>[] = [];
  for (let i = 0; i < runs; i++) all.push(await emulatorThroughput({ durationMs }));
  return {
    runs,
    durationMs,
    rows: all[0].map((row, i) => ({
      concurrency: row.concurrency,
      getPerSec: summarize(all.map((r) => r[i].getPerSec)),
      createLrosPerSec: summarize(all.map((r) => r[i].createLrosPerSec)),
    })),
  };
}

async function buildRequestsSection(runs: number): Promise<BuildRequestsRow[]> {
  const all: Awaited<ReturnType<typeof buildRequestCounts>>[] = [];
  for (let i = 0; i < runs; i++) all.push(await buildRequestCounts());
  return all[0].map((row, i) => ({
    durationMs: row.durationMs,
    retryAfterS: row.retryAfterS,
    minimum: row.minimum,
    requests: summarize(all.map((r) => r[i].requests)),
    n: runs,
  }));
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: "boolean", default: false } } });
  const quick = values.quick ?? false;
  const runs = quick ? 2 : 5;
  const previewSizes = quick ? [1, 10] : [1, 10, 50];
  const deploySizes = quick ? [10] : [10, 50];
  const started = Date.now();
  const startedAt = new Date(started).toISOString();

  const binDir = await ensurePulumi();
  const emulator = await startEmulator({ quiet: true, lroDurationMs: LATENCY_MS, retryAfterSeconds: RETRY_AFTER_S });
  const project = new BenchProject(binDir, emulator.env);
  try {
    progress("4. cold start");
    const coldStart = await coldStartSection(runs);
    progress("1. preview");
    const preview = await previewSection(project, emulator, previewSizes, runs);
    const largest = previewSizes[previewSizes.length - 1];
    const state = await stateBytes(project, {
      imagebuilder: {
        stack: previewStack("imagebuilder", largest),
        settings: previewSettings("imagebuilder", largest),
      },
      noop: { stack: previewStack("noop", largest), settings: previewSettings("noop", largest) },
    });
    progress("2-3. up vs raw SDK, requests per operation");
    const deploy = await deploySection(project, emulator, {
      sizes: deploySizes,
      runs,
      latencyMs: LATENCY_MS,
      retryAfterSeconds: RETRY_AFTER_S,
      lifecycleSize: deploySizes[0],
    });
    progress("3. requests while waiting for builds");
    const builds = await buildRequestsSection(runs);
    progress("5. emulator throughput");
    const throughput = await throughputSection(runs, quick ? 1000 : 2000);

    const results: BenchResults = {
      startedAt,
      totalSeconds: (Date.now() - started) / 1000,
      machine: `${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      settings: {
        runs,
        upRuns: runs,
        latencyMs: LATENCY_MS,
        retryAfterSeconds: RETRY_AFTER_S,
        pollIntervalMs: emulator.env.AZURE_IMAGEBUILDER_POLL_INTERVAL_MS,
      },
      coldStart,
      preview,
      deploy,
      state,
      throughput,
      builds,
    };
    const root = packageRoot();
    const improvements = readFileSync(path.join(root, "bench", "improvements.md"), "utf8");
    writeFileSync(path.join(root, "BENCHMARKS.md"), renderMarkdown(results, improvements));
    console.table(headlines(results).map((h) => ({ ...h, ratio: Number(h.ratio.toFixed(2)) })));
    progress(`done in ${results.totalSeconds.toFixed(0)} s; BENCHMARKS.md rewritten`);
  } finally {
    project.dispose();
    await emulator.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
