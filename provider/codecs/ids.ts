import { matching, RESOURCE_GROUP, RESOURCE_GROUP_ID_PATTERN, resourceId } from "./combinators";
import { ID_NAME_LENGTHS as N } from "./bounds";

/** A name segment of at most `max` characters (Azure's naming rules for that resource type). */
const name = (max: number) => `[^/\\s]{1,${max}}`;

// Resource-id shapes the service checks before it accepts a template (ARM ids are case-insensitive).
export const userAssignedIdentityId = resourceId(
  `Microsoft.ManagedIdentity/userAssignedIdentities/${name(N.userAssignedIdentity)}`,
  `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}, the name at most ${N.userAssignedIdentity} characters`,
);
export const subnetId = resourceId(
  `Microsoft.Network/virtualNetworks/${name(N.virtualNetwork)}/subnets/${name(N.subnet)}`,
  `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{vnet}/subnets/{subnet}, vnet at most ${N.virtualNetwork} characters and subnet at most ${N.subnet}`,
);
export const managedImageId = resourceId(
  `Microsoft.Compute/images/${name(N.image)}`,
  `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/images/{image}, the image name at most ${N.image} characters`,
);
const version = `/versions/${name(N.galleryImageVersion)}`;
const galleryImage = `${name(N.gallery)}/images/${name(N.galleryImage)}`;
export const galleryImageId = resourceId(
  `Microsoft.Compute/galleries/${galleryImage}(${version})?`,
  `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/galleries/{gallery}/images/{image}, gallery and image names at most ${N.gallery} characters`,
);
// A version in a gallery of this tenant, or in a direct-shared/community gallery (which have no subscription part).
export const imageVersionId = matching(
  new RegExp(
    `^(${RESOURCE_GROUP_ID_PATTERN}/providers/Microsoft\\.Compute/galleries/${galleryImage}|/(sharedGalleries|communityGalleries)/${name(N.sharedGallery)}/images/${name(N.galleryImage)})${version}$`,
    "i",
  ),
  `be an image version id like /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/galleries/{gallery}/images/{image}/versions/{version}, gallery and image names at most ${N.gallery} characters, the version at most ${N.galleryImageVersion}`,
);
export const resourceGroupId = matching(
  new RegExp(`^${RESOURCE_GROUP_ID_PATTERN}$`, "i"),
  "be a resource group id like /subscriptions/{sub}/resourceGroups/{name}",
);

export const subscriptionId = matching(
  /^[0-9A-Fa-f]{8}-([0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}$/,
  "be a subscription id (a GUID)",
);

/** Names of templates and run outputs (spec pattern). */
export const templateName = matching(/^[A-Za-z0-9-_.]{1,64}$/, "match ^[A-Za-z0-9-_.]{1,64}$");
// ARM resource group names: 1-90 of letters, digits, underscores, hyphens, periods, parentheses; not ending in a period.
export const resourceGroupName = matching(
  new RegExp(`^${RESOURCE_GROUP}$`),
  "be a resource group name (1-90 letters, digits, '_', '-', '.', '(', ')', not ending in '.')",
);

/**
 * A subscription id as the API takes it: the GUID, also from the resource id form Pulumi ESC's azure-login writes
 * (`/subscriptions/<guid>`). Anything else is returned unchanged for the codec to refuse.
 */
export function subscriptionGuid(value: string): string {
  return /^\/subscriptions\/([^/]+)\/?$/i.exec(value)?.[1] ?? value;
}
