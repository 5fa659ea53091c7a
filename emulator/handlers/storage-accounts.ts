import type { EmulatorContext } from "../context";
import { errors } from "../errors";
import type { ArmRequest, Reply } from "../http";
import { keyOf } from "../model";
import { resourceId, scopeId } from "../resource-ids";

/** The Microsoft.Storage API version the emulator answers (the storage accounts list only). */
export const STORAGE_API_VERSION = "2023-05-01";

/**
 * GET .../resourceGroups/{stagingRg}/providers/Microsoft.Storage/storageAccounts: the staging account the service
 * creates with a template (and deletes with it), whose `primaryEndpoints.blob` is the emulator's blob gateway, with
 * Azurite behind it.
 */
export function listStorageAccounts(ctx: EmulatorContext, r: ArmRequest): Reply {
  const group = keyOf(scopeId(r.params.subscriptionId, r.params.resourceGroupName));
  const owner = ctx.repository
    .templatesUnder(keyOf(`${scopeId(r.params.subscriptionId)}/`), r.now)
    .find((t) => t.exactStagingResourceGroup.toLowerCase() === group);
  if (!owner) throw errors.resourceGroupNotFound(r.params.resourceGroupName);
  const account = ctx.storage.accounts.accountOf(owner);
  return {
    status: 200,
    body: {
      value: [
        {
          id: resourceId(owner.exactStagingResourceGroup, "Microsoft.Storage", "storageAccounts", account.name),
          name: account.name,
          type: "Microsoft.Storage/storageAccounts",
          location: owner.location,
          kind: "StorageV2",
          sku: { name: "Standard_LRS", tier: "Standard" },
          properties: {
            provisioningState: "Succeeded",
            primaryEndpoints: { blob: ctx.storage.blobEndpoint(account.name) },
          },
        },
      ],
    },
  };
}
