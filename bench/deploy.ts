/**
 * Sections 2 and 3: `pulumi up` creating N ImageTemplates against an emulator whose LROs take L ms (Retry-After R)
 * vs a raw concurrent SDK script doing the same creates (both as process wall times), and vs N x L (the sequential
 * floor, to show parallelism); and the HTTP requests per create, update and delete against the LRO minimum.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { RunningEmulator } from "../emulator";
import { toImageTemplate } from "../provider/mapping";
import { execChecked } from "../toolchain/exec";
import { benchTemplateArgs } from "./programs/template-args";
import type { BenchProject, ProgramSettings } from "./project";
import type { RawTemplate } from "./raw-create";
import { countRequests, lroMinimum, perResource, type LroKind, type RequestCounts } from "./requests";
import { interleaved, ratios, summarize, timed, type Summary } from "./stats";

export interface DeployRow {
  templates: number;
  pulumiUpMs: Summary;
  rawScriptMs: Summary;
  ratio: Summary;
  /** N x L: what creating them one after another would at least take. */
  sequentialFloorMs: number;
  /** N x L / pulumi up wall time: how many LROs were in flight on average. */
  parallelism: Summary;
}

export interface RequestRow {
  operation: LroKind;
  client: "provider" | "raw SDK script";
  /** Per resource; runs x resources operated on. */
  n: number;
  arm: Summary;
  polls: Summary;
  identity: Summary;
  minimum: number;
}

export interface DeployResult {
  rows: DeployRow[];
  requests: RequestRow[];
}

export interface DeployOptions {
  sizes: readonly number[];
  runs: number;
  latencyMs: number;
  retryAfterSeconds: number;
  /** The size whose runs also measure an update (tag change) and a delete (destroy) of every template. */
  lifecycleSize: number;
}

/*
 * Operations measured for requests per resource. Builds are measured apart (build-requests.ts): what a build's wait
 * costs depends on the build's duration and Retry-After, not on the LRO latency used here.
 */
const MEASURED: readonly LroKind[] = ["create", "update", "delete"];

export async function deploySection(
  project: BenchProject,
  emulator: RunningEmulator,
  opts: DeployOptions,
): Promise<DeployResult> {
  await emulator.admin.setTiming({ lroDurationMs: opts.latencyMs, retryAfterSeconds: opts.retryAfterSeconds });
  const work = mkdtempSync(path.join(tmpdir(), "imagebuilder-raw-"));
  const rawScript = path.join(__dirname, "raw-create.js");
  const counted: Record<`${LroKind}:${"provider" | "raw SDK script"}`, RequestCounts[]> = {
    "create:provider": [],
    "update:provider": [],
    "delete:provider": [],
    "create:raw SDK script": [],
    "update:raw SDK script": [],
    "delete:raw SDK script": [],
  };
  const collect = async (key: keyof typeof counted, resources: number) => {
    counted[key].push(perResource(countRequests(await emulator.admin.requests()), resources));
    await emulator.admin.clearRequests();
  };

  const rows: DeployRow[] = [];
  try {
    for (const n of opts.sizes) {
      const settings = (run: number, tag = "v1"): ProgramSettings => ({
        count: n,
        variant: "imagebuilder",
        prefix: `up${n}r${run}`,
        tag,
      });
      const bodiesFile = (run: number) => {
        const file = path.join(work, `templates-${n}-${run}.json`);
        const templates: RawTemplate[] = Array.from({ length: n }, (_, i) => {
          const name = `${settings(run).prefix}-${i}`;
          const args = benchTemplateArgs(emulator.subscriptionId, name, { bench: "v1" });
          return { resourceGroupName: args.resourceGroupName, name, body: toImageTemplate(args) };
        });
        writeFileSync(file, JSON.stringify(templates));
        return file;
      };
      const samples = await interleaved(["pulumi up", "raw script"] as const, opts.runs, async (variant, run) => {
        await emulator.admin.reset();
        if (variant === "raw script") {
          const file = bodiesFile(run);
          const ms = await timed(() =>
            execChecked(process.execPath, [rawScript, file], { env: { ...process.env, ...emulator.env } }),
          );
          await collect("create:raw SDK script", n);
          return ms;
        }
        const stack = `up-${n}-${run}`;
        await project.newStack(stack);
        const ms = await project.timedPulumi(stack, settings(run), "up", "--yes", "--skip-preview");
        await collect("create:provider", n);
        if (n === opts.lifecycleSize) {
          await project.pulumi(stack, settings(run, "v2"), "up", "--yes", "--skip-preview");
          await collect("update:provider", n);
          await project.pulumi(stack, settings(run, "v2"), "destroy", "--yes", "--skip-preview");
          await collect("delete:provider", n);
        }
        await project.removeStack(stack);
        return ms;
      });
      const floor = n * opts.latencyMs;
      rows.push({
        templates: n,
        pulumiUpMs: summarize(samples["pulumi up"]),
        rawScriptMs: summarize(samples["raw script"]),
        ratio: summarize(ratios(samples["pulumi up"], samples["raw script"])),
        sequentialFloorMs: floor,
        parallelism: summarize(samples["pulumi up"].map((ms) => floor / ms)),
      });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const requests: RequestRow[] = [];
  for (const operation of MEASURED) {
    for (const client of ["provider", "raw SDK script"] as const) {
      const list = counted[`${operation}:${client}`];
      if (list.length === 0) continue;
      requests.push({
        operation,
        client,
        n: list.length,
        arm: summarize(list.map((c) => c.polls + c.resource)),
        polls: summarize(list.map((c) => c.polls)),
        identity: summarize(list.map((c) => c.identity)),
        minimum: lroMinimum(operation, opts.latencyMs, opts.retryAfterSeconds),
      });
    }
  }
  return { rows, requests };
}
