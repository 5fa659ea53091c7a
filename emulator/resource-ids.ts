/** ARM resource ids, spelled in one place (the service's casing; ARM compares them case-insensitively). */
export const IMAGE_BUILDER = "Microsoft.VirtualMachineImages";

/** `/subscriptions/{s}[/resourceGroups/{g}]`: the scope a resource lives in. */
export function scopeId(subscriptionId: string, resourceGroup?: string): string {
  const subscription = `/subscriptions/${subscriptionId}`;
  return resourceGroup === undefined ? subscription : `${subscription}/resourceGroups/${resourceGroup}`;
}

/** `{scope}/providers/{namespace}/{type}/{name}`, then `/{type}/{name}` for each child resource. */
export function resourceId(scope: string, namespace: string, ...typesAndNames: string[]): string {
  return `${scope}/providers/${namespace}/${typesAndNames.join("/")}`;
}

export const imageTemplateId = (subscriptionId: string, resourceGroup: string, name: string) =>
  resourceId(scopeId(subscriptionId, resourceGroup), IMAGE_BUILDER, "imageTemplates", name);

/** The staging resource group the service creates for a template that names none: IT_{group}_{name}_{guid}. */
export const stagingResourceGroupId = (subscriptionId: string, resourceGroup: string, name: string, guid: string) =>
  scopeId(subscriptionId, `IT_${resourceGroup}_${name}_${guid}`);
