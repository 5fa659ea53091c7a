import type * as pulumi from "@pulumi/pulumi";

/*
 * The floor any dynamic provider pays: create/update/delete only wait BENCH_NOOP_LATENCY_MS (the emulator's LRO
 * latency when compared with `up`, 0 for preview) and return outputs shaped like ours (the inputs plus the service's
 * read-only members); the engine's default check and diff apply. Installed in the bench project's node_modules as
 * `bench-noop-provider` (BenchProject) and this object is the module's whole export, as ours is, so both serialize
 * into state the same way: a `require` of the package, a few hundred bytes.
 */

const pause = () => new Promise<void>((resolve) => setTimeout(resolve, Number(process.env.BENCH_NOOP_LATENCY_MS ?? 0)));

function withServiceOutputs(inputs: Record<string, unknown>) {
  const subscriptionId = process.env.AZURE_SUBSCRIPTION_ID;
  const group = `/subscriptions/${subscriptionId}/resourceGroups/${inputs.resourceGroupName}`;
  return {
    ...inputs,
    subscriptionId,
    resourceId: `${group}/providers/Microsoft.VirtualMachineImages/imageTemplates/${inputs.imageTemplateName}`,
    provisioningState: "Succeeded",
    exactStagingResourceGroup: `${group}_${inputs.imageTemplateName}_00000000-0000-0000-0000-000000000000`,
    sourceExactVersion: "1.0.20260101",
  };
}

const noopProvider: pulumi.dynamic.ResourceProvider = {
  create: async (inputs) => {
    await pause();
    return { id: String(inputs.imageTemplateName), outs: withServiceOutputs(inputs) };
  },
  update: async (_id, _olds, news) => {
    await pause();
    return { outs: withServiceOutputs(news) };
  },
  delete: pause,
};

export = noopProvider;
