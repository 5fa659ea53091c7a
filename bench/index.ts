/**
 * `npm run bench`: every benchmark section in one run, a console summary, and BENCHMARKS.md rewritten with the
 * figures this run produced (plus bench/improvements.md, the before/after record, verbatim).
 * Sized to finish inside 20 minutes on a 2-core machine shared with others; `--quick` (1-2 runs, small sizes) checks
 * the harness in a few minutes. Section 2 runs before section 1 so that preview measures the stacks section 2's
 * creates left (1, 50 and 200 templates) instead of deploying the same again.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { startEmulator, type RunningEmulator } from "../emulator";
import { ensurePulumi } from "../toolchain/ensure-pulumi";
import { buildLogFigures, renderBuildLogs } from "./build-logs";
import { buildRequestCounts } from "./build-requests";
import { measureBuilds, renderPollPace } from "./poll-pace";
import { deploySection, type UpCase } from "./deploy";
import { emulatorThroughput } from "./emulator-throughput";
import { coldStartSection, stateBytes } from "./footprint";
import { previewSection, previewStacks } from "./preview";
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

async function buildRequestsSection(runs: number, emulator: RunningEmulator): Promise<BuildRequestsRow[]> {
  const all: Awaited<ReturnType<typeof buildRequestCounts>>[] = [];
  for (let i = 0; i < runs; i++) all.push(await buildRequestCounts(emulator));
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
  const runs = quick ? 2 : 3;
  // Runs per case are sized to the 20-minute budget (10-20 s per CLI process on the shared machine, 60-odd processes):
  // 3 for cold start and preview 50, 2 for the other cases with goals, 1 where a run takes minutes (200 templates).
  const previewCases = quick
    ? [
        { templates: 1, runs },
        { templates: 10, runs },
      ]
    : [
        { templates: 1, runs: 2 },
        { templates: 10, runs: 2 },
        { templates: 50, runs },
        { templates: 200, runs: 1 },
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
        { templates: 10, runs: 2, operations: lifecycle, raw: true },
        { templates: 50, runs: 2, operations: lifecycle, raw: true },
        { templates: 50, parallel: 50, runs: 1, operations: ["create"], raw: true },
        { templates: 1, runs: 2, operations: ["create"], raw: false },
        { templates: 200, runs: 1, operations: ["create"], raw: false },
      ];
  // Build status reads and emulator throughput: their ranges were tight (or the goal far off) over 2 runs.
  const extraRuns = 1;
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  // The machine is shared: the load around the run says how much the absolute times are worth.
  const loadAtStart = loadavg()[0];

  const binDir = await ensurePulumi();
  const emulator = await startEmulator({ quiet: true, lroDurationMs: LATENCY_MS, retryAfterSeconds: RETRY_AFTER_S });
  const project = new BenchProject(binDir, emulator.env);
  try {
    progress("4. cold start");
    const coldStart = await coldStartSection(runs);
    progress("2-3. up, tag change, destroy vs latency-matched no-op and raw SDK; requests per operation");
    const deploy = await deploySection(project, emulator, {
      cases: upCases,
      latencyMs: LATENCY_MS,
      retryAfterSeconds: RETRY_AFTER_S,
      progress,
    });
    progress("1. preview");
    const measured = previewCases.map((c) => ({
      ...c,
      stacks: deploy.kept.find((k) => k.templates === c.templates)?.stacks,
    }));
    const preview = await previewSection(project, emulator, measured);
    const largest = measured[measured.length - 1];
    const state = await stateBytes(project, largest.stacks ?? previewStacks(largest.templates));
    progress("3. requests while waiting for builds");
    const builds = await buildRequestsSection(extraRuns, emulator);
    progress("5. emulator throughput");
    const throughput = await throughputSection(extraRuns, 1000);
    progress("6. build logs in streaming mode");
    const buildLogs = renderBuildLogs(await buildLogFigures(emulator));
    progress("7. status reads while a build runs, at the default pace and scaled (2.5 min)");
    const pollPace = renderPollPace(await measureBuilds(emulator));

    const results: BenchResults = {
      startedAt,
      totalSeconds: (Date.now() - started) / 1000,
      machine: `${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; 1-minute load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end`,
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
    writeFileSync(
      path.join(root, "BENCHMARKS.md"),
      `${renderMarkdown(results, improvements)}\n${buildLogs}\n${pollPace}`,
    );
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
