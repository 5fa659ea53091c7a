import type { ImageTemplateInputs } from "pulumi-azure-imagebuilder";

/**
 * The one valid template of the tests and benchmarks, as a program passes its arguments: an Ubuntu platform image,
 * a user-assigned identity, one Shell step and one managed image, in the given subscription and resource group.
 * Self-contained (this file is copied into the benchmark's Pulumi project); callers override what they are about.
 */
export function templateArgs(
  subscriptionId: string,
  resourceGroupName: string,
  overrides: Partial<ImageTemplateInputs> & Record<string, unknown> = {},
): ImageTemplateInputs {
  const rgId = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroupName}`;
  return {
    resourceGroupName,
    location: "westus",
    identityUserAssignedIdentity: [`${rgId}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/builder`],
    source: {
      type: "PlatformImage",
      publisher: "Canonical",
      offer: "ubuntu-24_04-lts",
      sku: "server",
      version: "latest",
    },
    customize: [{ type: "Shell", name: "hello", inline: ["echo hello"] }],
    distribute: [
      {
        type: "ManagedImage",
        runOutputName: "mi",
        imageId: `${rgId}/providers/Microsoft.Compute/images/img`,
        location: "westus",
      },
    ],
    tag: { env: "test" },
    ...overrides,
  } as ImageTemplateInputs;
}

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
} as const;

export type Variant = "imagebuilder" | "noop";
