/**
 * Section 1: `pulumi preview` of N unchanged ImageTemplates vs the same program on a no-op dynamic provider, as CLI
 * process wall times, plus the HTTP requests the emulator receives during each ImageTemplate preview (goal 0).
 */
import type { RunningEmulator } from "../emulator";
import type { Variant } from "./programs/template-args";
import type { BenchProject, ProgramSettings } from "./project";
import { countRequests } from "./requests";
import { differences, interleaved, ratios, summarize, type Summary } from "./stats";

export interface PreviewRow {
  templates: number;
  imagebuilderMs: Summary;
  noopMs: Summary;
  ratio: Summary;
  /** (ours − no-op) / N per run: what each template costs beyond the floor. */
  perTemplateMs: Summary;
  /** HTTP requests (ARM + identity) the emulator saw during each ImageTemplate preview. */
  requests: Summary;
}

const VARIANTS: readonly Variant[] = ["imagebuilder", "noop"];

export const previewStack = (variant: Variant, templates: number) => `preview-${variant}-${templates}`;
export const previewSettings = (variant: Variant, templates: number): ProgramSettings => ({
  count: templates,
  variant,
  prefix: `pv${templates}`,
});

export async function previewSection(
  project: BenchProject,
  emulator: RunningEmulator,
  cases: readonly { templates: number; runs: number }[],
): Promise<PreviewRow[]> {
  // Creating the stacks is not measured: no LRO latency (later sections set their own), so 200 are quick to set up.
  await emulator.admin.setTiming({ lroDurationMs: 0 });
  const rows: PreviewRow[] = [];
  for (const { templates: n, runs } of cases) {
    for (const variant of VARIANTS) {
      await project.newStack(previewStack(variant, n));
      await project.pulumi(previewStack(variant, n), previewSettings(variant, n), "up", "--yes", "--skip-preview");
    }
    const requests: number[] = [];
    const samples = await interleaved(VARIANTS, runs, async (variant) => {
      await emulator.admin.clearRequests();
      const ms = await project.timedPulumi(previewStack(variant, n), previewSettings(variant, n), "preview");
      if (variant === "imagebuilder") requests.push(countRequests(await emulator.admin.requests()).total);
      return ms;
    });
    rows.push({
      templates: n,
      imagebuilderMs: summarize(samples.imagebuilder),
      noopMs: summarize(samples.noop),
      ratio: summarize(ratios(samples.imagebuilder, samples.noop)),
      perTemplateMs: summarize(differences(samples.imagebuilder, samples.noop, n)),
      requests: summarize(requests),
    });
  }
  return rows;
}
