import * as pulumi from "@pulumi/pulumi";
import { imageTemplateProvider } from "../provider/index";

/** The smallest useful dynamic provider, as the yardstick for ours. */
const noopProvider: pulumi.dynamic.ResourceProvider = {
  create: async (inputs) => ({ id: "noop", outs: inputs }),
};

/** Bytes of `__provider` text, measured exactly as pulumi.dynamic.Resource serializes it. */
export async function serializedBytes(provider: pulumi.dynamic.ResourceProvider): Promise<number> {
  const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  return Buffer.byteLength(serialized.text, "utf8");
}

/** Serialized size of our provider and of a no-op provider (goal: ours <= 2x noop). Same for every resource. */
export async function serializedProviderBytes(): Promise<{ ours: number; noop: number }> {
  return { ours: await serializedBytes(imageTemplateProvider), noop: await serializedBytes(noopProvider) };
}
