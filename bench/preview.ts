/**
 * Section 1: `pulumi preview` of N unchanged ImageTemplates vs the same program on a no-op dynamic provider, as CLI
 * process wall times, plus the HTTP requests the emulator receives during each ImageTemplate preview (goal 0).
 */
import type { RunningEmulator } from "../emulator";
import type { Variant } from "./programs/template-args";
import type { BenchProject, VariantStacks } from "./project";
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

export interface PreviewCase {
  templates: number;
  runs: number;
  /** Stacks already holding the N templates (section 2's creates); unset: this section deploys its own first. */
  stacks?: VariantStacks;
}

/** The stacks this section deploys for N templates when no earlier section left any. */
export const previewStacks = (templates: number): VariantStacks => {
  const of = (variant: Variant) => ({
    stack: `preview-${variant}-${templates}`,
    settings: { count: templates, variant, prefix: `pv${templates}` },
  });
  return { imagebuilder: of("imagebuilder"), noop: of("noop") };
};

export async function previewSection(
  project: BenchProject,
  emulator: RunningEmulator,
  cases: readonly PreviewCase[],
): Promise<PreviewRow[]> {
  // Creating the stacks is not measured: no LRO latency (later sections set their own), so they are quick to set up.
  await emulator.admin.setTiming({ lroDurationMs: 0 });
  const rows: PreviewRow[] = [];
  for (const { templates: n, runs, stacks: given } of cases) {
    const stacks = given ?? previewStacks(n);
    for (const variant of given ? [] : VARIANTS) {
      const { stack, settings } = stacks[variant];
      await project.newStack(stack);
      await project.pulumi(stack, settings, "up", "--yes", "--skip-preview");
    }
    const requests: number[] = [];
    const samples = await interleaved(VARIANTS, runs, async (variant) => {
      await emulator.admin.clearRequests();
      const ms = await project.timedPulumi(stacks[variant].stack, stacks[variant].settings, "preview");
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
