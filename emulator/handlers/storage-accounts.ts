import type { EmulatorCore } from "../core";
import { errors } from "../errors";
import type { ArmRequest, Reply } from "../http";

/** The Microsoft.Storage API version the emulator answers (the storage accounts list only). */
export const STORAGE_API_VERSION = "2023-05-01";

/**
 * GET .../resourceGroups/{stagingRg}/providers/Microsoft.Storage/storageAccounts: the staging account the service
 * creates with a template (and deletes with it), whose `primaryEndpoints.blob` is the emulator's Azurite.
 */
export function listStorageAccounts(emu: EmulatorCore, r: ArmRequest): Reply {
  const group = `/subscriptions/${r.params.subscriptionId}/resourceGroups/${r.params.resourceGroupName}`.toLowerCase();
  const owner = emu
    .templatesUnder(`/subscriptions/${r.params.subscriptionId.toLowerCase()}/`, r.now)
    .find((t) => t.exactStagingResourceGroup.toLowerCase() === group);
  if (!owner) throw errors.resourceGroupNotFound(r.params.resourceGroupName);
  const account = emu.storage.accountFor(owner.exactStagingResourceGroup);
  return {
    status: 200,
    body: {
      value: [
        {
          id: `${owner.exactStagingResourceGroup}/providers/Microsoft.Storage/storageAccounts/${account.name}`,
          name: account.name,
          type: "Microsoft.Storage/storageAccounts",
          location: owner.location,
          kind: "StorageV2",
          sku: { name: "Standard_LRS", tier: "Standard" },
          properties: {
            provisioningState: "Succeeded",
            primaryEndpoints: { blob: emu.storage.blobEndpoint(account.name) },
          },
        },
      ],
    },
  };
}
