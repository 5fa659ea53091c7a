import type { Reply } from "../http";

/**
 * The provider's operation catalogue (GET /providers/Microsoft.VirtualMachineImages/operations): the service's 13
 * entries, in its order and with its texts (Microsoft's 2025-10-01 example, whose texts the recorded answers share);
 * `description` repeats `operation`, and the register actions have no `resource`.
 */
const PROVIDER_DISPLAY = "Virtual Machine Image Builder";
const TEMPLATE = "VM Image template";
const CATALOGUE: [name: string, resource: string | undefined, operation: string][] = [
  ["register/action", undefined, "Register Virtual Machine Image Builder RP"],
  ["unregister/action", undefined, "Unregister Virtual Machine Image Builder RP"],
  ["imageTemplates/read", TEMPLATE, "Get a VM image template instance resource"],
  ["imageTemplates/write", TEMPLATE, "Create or update a VM image template instance resource"],
  ["imageTemplates/delete", TEMPLATE, "Delete a VM image template instance resource"],
  ["imageTemplates/run/action", TEMPLATE, "Execute a VM image template to produce its outputs"],
  ["imageTemplates/runOutputs/read", "VM Image template run output", "Get a VM image template run output resource"],
  ["operations/read", "Operation", "List available Virtual Machine Image Builder Operations"],
  ["locations/operations/read", "Asynchronous Operation", "Get the status of an asynchronous operation"],
  ["imageTemplates/cancel/action", TEMPLATE, "Cancel a running image build"],
  ["imageTemplates/triggers/write", "Trigger", "Create or update a trigger for a VM image template resource"],
  ["imageTemplates/triggers/read", "Trigger", "Get a trigger for a VM image template resource"],
  ["imageTemplates/triggers/delete", "Trigger", "Delete a trigger for a VM image template resource"],
];

export function listOperationsCatalogue(): Reply {
  return {
    status: 200,
    body: {
      value: CATALOGUE.map(([name, resource, operation]) => ({
        name: `Microsoft.VirtualMachineImages/${name}`,
        display: { provider: PROVIDER_DISPLAY, ...(resource ? { resource } : {}), operation, description: operation },
        isDataAction: false,
      })),
    },
  };
}
