/**
 * Section 1: `pulumi preview` of N unchanged ImageTemplates vs the same program on a no-op dynamic provider, as CLI
 * process wall times, plus the HTTP requests the emulator receives during each ImageTemplate preview (goal 0).
 */
import type { RunningEmulator } from "../emulator";
import type { Variant } from "./programs/template-args";
import type { BenchProject, ProgramSettings } from "./project";
import { countRequests } from "./requests";
import { interleaved, ratios, summarize, type Summary } from "./stats";

export interface PreviewRow {
  templates: number;
  imagebuilderMs: Summary;
  noopMs: Summary;
  ratio: Summary;
  /** HTTP requests (ARM + identity) the emulator saw during each ImageTemplate preview. */
  requests: Summary;
}

export const previewStack = (variant: Variant, templates: number) => `preview-${variant}-${templates}`;
export const previewSettings = (variant: Variant, templates: number): ProgramSettings => ({
  count: templates,
  variant,
  prefix: `pv${templates}`,
});

export async function previewSection(
  project: BenchProject,
  emulator: RunningEmulator,
  sizes: readonly number[],
  runs: number,
): Promise<PreviewRow[]> {
  type Key = `${Variant}:${number}`;
  const keys: Key[] = sizes.flatMap((n) => [`imagebuilder:${n}` as const, `noop:${n}` as const]);
  const parse = (key: Key) => {
    const [variant, n] = key.split(":");
    return { variant: variant as Variant, n: Number(n) };
  };
  for (const key of keys) {
    const { variant, n } = parse(key);
    await project.newStack(previewStack(variant, n));
    await project.pulumi(previewStack(variant, n), previewSettings(variant, n), "up", "--yes", "--skip-preview");
  }
  const requests: Record<number, number[]> = Object.fromEntries(sizes.map((n) => [n, []]));
  const samples = await interleaved(keys, runs, async (key) => {
    const { variant, n } = parse(key);
    await emulator.admin.clearRequests();
    const ms = await project.timedPulumi(previewStack(variant, n), previewSettings(variant, n), "preview");
    if (variant === "imagebuilder") requests[n].push(countRequests(await emulator.admin.requests()).total);
    return ms;
  });
  return sizes.map((n) => ({
    templates: n,
    imagebuilderMs: summarize(samples[`imagebuilder:${n}`]),
    noopMs: summarize(samples[`noop:${n}`]),
    ratio: summarize(ratios(samples[`imagebuilder:${n}`], samples[`noop:${n}`])),
    requests: summarize(requests[n]),
  }));
}
