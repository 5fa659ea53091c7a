/**
 * A valid ImageTemplate argument bag, as a program would pass it: an Ubuntu platform image, one Shell step and one
 * managed image, in the given subscription and resource group. Tests override what they are about.
 */
export function linuxTemplateArgs(
  subscriptionId: string,
  resourceGroupName: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
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
  };
}
