import type { ImageTemplateInputs } from "pulumi-azure-imagebuilder";

/**
 * The template every benchmark declares (a typical Ubuntu build: platform source, two Shell steps, one managed image),
 * numbered so each is distinct. Shared by the Pulumi program, the no-op variant and the raw SDK script.
 */
export function benchTemplateArgs(
  subscriptionId: string,
  name: string,
  tags: Record<string, string>,
): ImageTemplateInputs {
  const rg = `/subscriptions/${subscriptionId}/resourceGroups/rg-bench`;
  return {
    imageTemplateName: name,
    resourceGroupName: "rg-bench",
    location: "westus2",
    identityType: "UserAssigned",
    identityUserAssignedIdentity: [`${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aib`],
    source: {
      type: "PlatformImage",
      publisher: "Canonical",
      offer: "ubuntu-24_04-lts",
      sku: "server",
      version: "latest",
    },
    customize: [
      { type: "Shell", name: "update", inline: ["sudo apt-get update", "sudo apt-get -y upgrade"] },
      { type: "Shell", name: "tools", inline: ["sudo apt-get -y install jq"] },
    ],
    distribute: [
      {
        type: "ManagedImage",
        runOutputName: "image",
        imageId: `${rg}/providers/Microsoft.Compute/images/${name}`,
        location: "westus2",
      },
    ],
    tag: tags,
  };
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
