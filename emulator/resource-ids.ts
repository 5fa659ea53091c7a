/** ARM resource ids (and the route patterns shaped like them), spelled in one place; ARM compares them ignoring case. */
import { PROVIDER } from "./service";

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
  resourceId(scopeId(subscriptionId, resourceGroup), PROVIDER, "imageTemplates", name);

/** An operation-status monitor: a subscription-level Image Builder resource under the operation's location. */
export const operationResourceId = (subscriptionId: string, location: string, id: string) =>
  resourceId(scopeId(subscriptionId), PROVIDER, "locations", location, "operations", id);

/**
 * The staging resource group the service creates for a template that names none: `IT_`, the first 40 characters of
 * `{group}_{name}`, `_{guid}`: at most 80 characters, within ARM's 90.
 */
export const stagingResourceGroupId = (subscriptionId: string, resourceGroup: string, name: string, guid: string) =>
  scopeId(subscriptionId, `IT_${`${resourceGroup}_${name}`.slice(0, 40)}_${guid}`);
