/**
 * Sections 2 and 3: `pulumi up` (create N ImageTemplates), `pulumi up` (tag change on all N) and `pulumi destroy`
 * against an emulator whose LROs take L ms (Retry-After R), next to the same program on the latency-matched no-op
 * provider (its operations wait L ms: the floor any dynamic provider pays) and, for creates, a raw concurrent SDK
 * script; all as process wall times. Also the HTTP requests per create, update and delete against the LRO minimum.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { RunningEmulator } from "../emulator";
import { toImageTemplate } from "../provider/image-template/mapping";
import { execChecked } from "../toolchain/exec";
import { benchTemplateArgs, type Variant } from "./programs/template-args";
import type { BenchProject, ProgramSettings, VariantStacks } from "./project";
import type { RawTemplate } from "./raw-create";
import { countRequests, lroMinimum, perResource, type LroKind, type RequestCounts } from "./requests";
import { differences, interleaved, ratios, summarize, timed, type Summary } from "./stats";

/** One measured `pulumi` command per operation: create = up on a new stack, update = up with a new tag, delete = destroy. */
const COMMANDS: Record<LroKind, { args: string[]; tag: string }> = {
  create: { args: ["up", "--yes", "--skip-preview"], tag: "v1" },
  update: { args: ["up", "--yes", "--skip-preview"], tag: "v2" },
  delete: { args: ["destroy", "--yes", "--skip-preview"], tag: "v2" },
};

export interface UpCase {
  templates: number;
  /** `--parallel` given to the CLI; unset = its default (4 x cores = 8 here). */
  parallel?: number;
  runs: number;
  /** ["create"], or the whole lifecycle ["create", "update", "delete"] on the same stack. */
  operations: readonly LroKind[];
  /** Also time the raw SDK script creating the same templates. */
  raw: boolean;
}

export interface OperationRow {
  operation: LroKind;
  imagebuilderMs: Summary;
  noopMs: Summary;
  ratio: Summary;
  /** (ours − no-op) / N per run: what each template costs beyond the floor. */
  perTemplateMs: Summary;
}

export interface UpRow {
  templates: number;
  parallel?: number;
  operations: OperationRow[];
  /** Creates by the raw SDK script, and both providers' creates over it. */
  raw?: { ms: Summary; imagebuilderRatio: Summary; noopRatio: Summary };
  /** N x L / create wall time: how many LROs were in flight on average. */
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
  latencyMs: number;
  rows: UpRow[];
  requests: RequestRow[];
  /** Per create-only case, the stacks its last run left holding N templates (preview measures them unchanged). */
  kept: { templates: number; stacks: VariantStacks }[];
}

type Client = RequestRow["client"];

export async function deploySection(
  project: BenchProject,
  emulator: RunningEmulator,
  opts: { cases: readonly UpCase[]; latencyMs: number; retryAfterSeconds: number; progress(message: string): void },
): Promise<DeployResult> {
  await emulator.admin.setTiming({ lroDurationMs: opts.latencyMs, retryAfterSeconds: opts.retryAfterSeconds });
  const work = mkdtempSync(path.join(tmpdir(), "imagebuilder-raw-"));
  const rawScript = path.join(__dirname, "raw-create.js");
  const counted = new Map<`${LroKind}:${Client}`, RequestCounts[]>();
  const collect = async (operation: LroKind, client: Client, resources: number) => {
    const key = `${operation}:${client}` as const;
    counted.set(key, [
      ...(counted.get(key) ?? []),
      perResource(countRequests(await emulator.admin.requests()), resources),
    ]);
    await emulator.admin.clearRequests();
  };

  const rows: UpRow[] = [];
  const kept: DeployResult["kept"] = [];
  try {
    for (const c of opts.cases) {
      const n = c.templates;
      opts.progress(`up ${n} templates${c.parallel ? ` --parallel ${c.parallel}` : ""}: ${c.operations.join(", ")}`);
      const settings = (variant: Variant, run: number, tag: string): ProgramSettings => ({
        count: n,
        variant,
        prefix: `up${n}r${run}`,
        tag,
        noopLatencyMs: opts.latencyMs,
      });
      const parallel = c.parallel ? ["--parallel", String(c.parallel)] : [];
      const times: Record<Variant, Record<LroKind, number[]>> = {
        imagebuilder: { create: [], update: [], delete: [] },
        noop: { create: [], update: [], delete: [] },
      };
      const stacks: Partial<VariantStacks> = {};
      const variants = c.raw ? (["imagebuilder", "noop", "raw script"] as const) : (["imagebuilder", "noop"] as const);
      const samples = await interleaved<Variant | "raw script">(variants, c.runs, async (variant, run) => {
        await emulator.admin.reset();
        if (variant === "raw script") {
          const file = path.join(work, `templates-${n}-${run}.json`);
          writeFileSync(
            file,
            JSON.stringify(rawTemplates(emulator.subscriptionId, settings("imagebuilder", run, "v1"))),
          );
          const ms = await timed(() =>
            execChecked(process.execPath, [rawScript, file], { env: { ...process.env, ...emulator.env } }),
          );
          await collect("create", "raw SDK script", n);
          return ms;
        }
        // After a destroy the stack is empty again, so the lifecycle reuses it; a create-only case needs a new one.
        const destroys = c.operations.includes("delete");
        const stack = `up-${variant}-${n}-${c.parallel ?? "d"}-${destroys ? "" : run}`;
        if (run === 0 || !destroys) await project.newStack(stack);
        for (const operation of c.operations) {
          const { args, tag } = COMMANDS[operation];
          times[variant][operation].push(
            await project.timedPulumi(stack, settings(variant, run, tag), ...args, ...parallel),
          );
          if (variant === "imagebuilder") await collect(operation, "provider", n);
        }
        if (!destroys) stacks[variant] = { stack, settings: settings(variant, run, COMMANDS.create.tag) };
        return times[variant].create[run];
      });
      if (stacks.imagebuilder && stacks.noop) {
        kept.push({ templates: n, stacks: { imagebuilder: stacks.imagebuilder, noop: stacks.noop } });
      }
      const ours = times.imagebuilder;
      const floor = n * opts.latencyMs;
      rows.push({
        templates: n,
        parallel: c.parallel,
        operations: c.operations.map((operation) => ({
          operation,
          imagebuilderMs: summarize(ours[operation]),
          noopMs: summarize(times.noop[operation]),
          ratio: summarize(ratios(ours[operation], times.noop[operation])),
          perTemplateMs: summarize(differences(ours[operation], times.noop[operation], n)),
        })),
        raw: c.raw
          ? {
              ms: summarize(samples["raw script"]),
              imagebuilderRatio: summarize(ratios(ours.create, samples["raw script"])),
              noopRatio: summarize(ratios(times.noop.create, samples["raw script"])),
            }
          : undefined,
        parallelism: summarize(ours.create.map((ms) => floor / ms)),
      });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const requests: RequestRow[] = [];
  for (const operation of ["create", "update", "delete"] as const) {
    for (const client of ["provider", "raw SDK script"] as const) {
      const list = counted.get(`${operation}:${client}`) ?? [];
      if (list.length === 0) continue;
      requests.push({
        operation,
        client,
        n: list.length,
        arm: summarize(list.map((q) => q.polls + q.resource)),
        polls: summarize(list.map((q) => q.polls)),
        identity: summarize(list.map((q) => q.identity)),
        minimum: lroMinimum(operation, opts.latencyMs, opts.retryAfterSeconds),
      });
    }
  }
  return { latencyMs: opts.latencyMs, rows, requests, kept };
}

/** The bodies the provider would PUT for the program's templates, for the raw SDK script. */
function rawTemplates(subscriptionId: string, settings: ProgramSettings): RawTemplate[] {
  return Array.from({ length: settings.count }, (_, i) => {
    const name = `${settings.prefix}-${i}`;
    const args = benchTemplateArgs(subscriptionId, name, { bench: settings.tag ?? "v1" });
    return { resourceGroupName: args.resourceGroupName, name, body: toImageTemplate(args) };
  });
}
