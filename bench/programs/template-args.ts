import type { ImageTemplateInputs } from "pulumi-azure-imagebuilder";
import { templateArgs } from "../../test/fixtures/template-args";

/** The template every benchmark declares (a typical Ubuntu build: two Shell steps), numbered so each is distinct. */
export function benchTemplateArgs(
  subscriptionId: string,
  name: string,
  tags: Record<string, string>,
): ImageTemplateInputs {
  const base = templateArgs(subscriptionId, "rg-bench");
  const image = base.distribute[0] as { imageId: string };
  return {
    ...base,
    imageTemplateName: name,
    customize: [
      { type: "Shell", name: "update", inline: ["sudo apt-get update", "sudo apt-get -y upgrade"] },
      { type: "Shell", name: "tools", inline: ["sudo apt-get -y install jq"] },
    ],
    distribute: [{ ...base.distribute[0], imageId: image.imageId.replace(/img$/, name) }],
    tag: tags,
  } as ImageTemplateInputs;
}

/** The program's knobs, passed through the environment of the `pulumi` process. */
export const PROGRAM_ENV = {
  count: "BENCH_TEMPLATES",
  variant: "BENCH_VARIANT",
  prefix: "BENCH_PREFIX",
  tag: "BENCH_TAG",
  /** How long the no-op provider's create/update/delete wait (read by the provider host, which inherits it). */
  noopLatencyMs: "BENCH_NOOP_LATENCY_MS",
} as const;

/** The package name BenchProject installs noop-provider.js under. */
export const NOOP_PACKAGE = "bench-noop-provider";

export type Variant = "imagebuilder" | "noop";
