import type { Reply } from "../http";

/** The provider's operation catalogue (GET /providers/Microsoft.VirtualMachineImages/operations). */
const PROVIDER_DISPLAY = "Virtual Machine Image Builder";
const CATALOGUE: [name: string, resource: string | undefined, description: string][] = [
  ["register/action", undefined, "Registers the subscription for the Image Builder resource provider"],
  ["unregister/action", undefined, "Unregisters the subscription from the Image Builder resource provider"],
  ["imageTemplates/read", "Image template", "Gets an image template"],
  [
    "imageTemplates/write",
    "Image template",
    "Creates an image template or updates its tags, identity, VM profile or distribution",
  ],
  ["imageTemplates/delete", "Image template", "Deletes an image template"],
  ["imageTemplates/run/action", "Image template", "Starts a build of an image template"],
  ["imageTemplates/cancel/action", "Image template", "Cancels the running build of an image template"],
  ["imageTemplates/runOutputs/read", "Run output", "Gets the outputs of an image template's last build"],
  ["imageTemplates/triggers/read", "Trigger", "Gets a trigger of an image template"],
  ["imageTemplates/triggers/write", "Trigger", "Creates or updates a trigger of an image template"],
  ["imageTemplates/triggers/delete", "Trigger", "Deletes a trigger of an image template"],
  ["locations/operations/read", "Operation", "Gets the status of an asynchronous operation"],
];

export function listOperationsCatalogue(): Reply {
  return {
    status: 200,
    body: {
      value: CATALOGUE.map(([name, resource, description]) => ({
        name: `Microsoft.VirtualMachineImages/${name}`,
        display: {
          provider: PROVIDER_DISPLAY,
          ...(resource ? { resource } : {}),
          operation: description,
          description,
        },
        isDataAction: false,
      })),
    },
  };
}
