/**
 * `npm run bench`: every benchmark section in one run, a console summary, and BENCHMARKS.md rewritten with the
 * figures this run produced (plus bench/improvements.md, the before/after record, verbatim).
 * Sized to finish inside 20 minutes on a 2-core machine shared with others; `--quick` (1-2 runs, small sizes) checks
 * the harness in a few minutes.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { startEmulator } from "../emulator";
import { ensurePulumi } from "../toolchain/ensure-pulumi";
import { buildLogFigures, renderBuildLogs } from "./build-logs";
import { buildRequestCounts } from "./build-requests";
import { deploySection, type UpCase } from "./deploy";
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
  // Runs per case are sized to the 20-minute budget (about 10 s per CLI process on the shared machine); the ratios
  // with goals get the most.
  const previewCases = quick
    ? [
        { templates: 1, runs },
        { templates: 10, runs },
      ]
    : [
        { templates: 1, runs: 3 },
        { templates: 10, runs: 3 },
        { templates: 50, runs },
        { templates: 200, runs: 2 },
      ];
  const lifecycle = ["create", "update", "delete"] as const;
  // Every size of the cost-growth line; the lifecycle and the raw script where the goals are.
  const upCases: UpCase[] = quick
    ? [
        { templates: 10, runs, operations: lifecycle, raw: true },
        { templates: 10, parallel: 10, runs: 1, operations: ["create"], raw: true },
        { templates: 1, runs: 1, operations: ["create"], raw: false },
      ]
    : [
        { templates: 10, runs: 3, operations: lifecycle, raw: true },
        { templates: 50, runs: 3, operations: lifecycle, raw: true },
        { templates: 50, parallel: 50, runs: 2, operations: ["create"], raw: true },
        { templates: 1, runs: 2, operations: ["create"], raw: false },
        { templates: 200, runs: 1, operations: ["create"], raw: false },
      ];
  const extraRuns = quick ? 1 : 2;
  const started = Date.now();
  const startedAt = new Date(started).toISOString();

  const binDir = await ensurePulumi();
  const emulator = await startEmulator({ quiet: true, lroDurationMs: LATENCY_MS, retryAfterSeconds: RETRY_AFTER_S });
  const project = new BenchProject(binDir, emulator.env);
  try {
    progress("4. cold start");
    const coldStart = await coldStartSection(runs);
    progress("1. preview");
    const preview = await previewSection(project, emulator, previewCases);
    const largest = previewCases[previewCases.length - 1].templates;
    const state = await stateBytes(project, {
      imagebuilder: {
        stack: previewStack("imagebuilder", largest),
        settings: previewSettings("imagebuilder", largest),
      },
      noop: { stack: previewStack("noop", largest), settings: previewSettings("noop", largest) },
    });
    progress("2-3. up, tag change, destroy vs latency-matched no-op and raw SDK; requests per operation");
    const deploy = await deploySection(project, emulator, {
      cases: upCases,
      latencyMs: LATENCY_MS,
      retryAfterSeconds: RETRY_AFTER_S,
      progress,
    });
    progress("3. requests while waiting for builds");
    const builds = await buildRequestsSection(extraRuns);
    progress("5. emulator throughput");
    const throughput = await throughputSection(extraRuns, quick ? 1000 : 2000);
    progress("6. build logs in streaming mode");
    const buildLogs = renderBuildLogs(await buildLogFigures());

    const results: BenchResults = {
      startedAt,
      totalSeconds: (Date.now() - started) / 1000,
      machine: `${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      settings: {
        runs,
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
    writeFileSync(path.join(root, "BENCHMARKS.md"), `${renderMarkdown(results, improvements)}\n${buildLogs}`);
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
