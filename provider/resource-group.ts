import * as pulumi from "@pulumi/pulumi";
import { defaultSubscription } from "./azure/client";
import { withStackConfig } from "./azure/credentials";

/**
 * The ARM id of a resource group (`/subscriptions/<id>/resourceGroups/<name>`) in the subscription this stack
 * deploys to, for the ids a template names: its identities, a managed image, a gallery image. The subscription is
 * found as an ImageTemplate without `subscriptionId` finds its own: the `azure-native:subscriptionId` config, then
 * `AZURE_SUBSCRIPTION_ID` / `ARM_SUBSCRIPTION_ID`, then the Azure CLI's default subscription.
 */
export function resourceGroupId(resourceGroupName: string): pulumi.Output<string> {
  const config = { "azure-native:subscriptionId": new pulumi.Config("azure-native").get("subscriptionId") };
  const subscription = defaultSubscription(withStackConfig(process.env, config)).then((id) => {
    if (id) return id;
    throw new Error(
      "No Azure subscription: run `pulumi config set azure-native:subscriptionId <id>`, set AZURE_SUBSCRIPTION_ID, " +
        "or sign in with `az login`.",
    );
  });
  return pulumi.output(subscription).apply((id) => `/subscriptions/${id}/resourceGroups/${resourceGroupName}`);
}
