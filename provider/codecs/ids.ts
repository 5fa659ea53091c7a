import { matching, RESOURCE_GROUP, RESOURCE_GROUP_ID_PATTERN, resourceId } from "./combinators";

// Resource-id shapes the service checks before it accepts a template (ARM ids are case-insensitive).
export const userAssignedIdentityId = resourceId(
  "Microsoft.ManagedIdentity/userAssignedIdentities/[^/\\s]+",
  "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}",
);
export const subnetId = resourceId(
  "Microsoft.Network/virtualNetworks/[^/\\s]+/subnets/[^/\\s]+",
  "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{vnet}/subnets/{subnet}",
);
export const managedImageId = resourceId(
  "Microsoft.Compute/images/[^/\\s]+",
  "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/images/{image}",
);
export const galleryImageId = resourceId(
  "Microsoft.Compute/galleries/[^/\\s]+/images/[^/\\s]+(/versions/[^/\\s]+)?",
  "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/galleries/{gallery}/images/{image}",
);
// A version in a gallery of this tenant, or in a direct-shared/community gallery (which have no subscription part).
export const imageVersionId = matching(
  new RegExp(
    `^(${RESOURCE_GROUP_ID_PATTERN}/providers/Microsoft\\.Compute/galleries/[^/\\s]+|/(sharedGalleries|communityGalleries)/[^/\\s]+)/images/[^/\\s]+/versions/[^/\\s]+$`,
    "i",
  ),
  "be an image version id like /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/galleries/{gallery}/images/{image}/versions/{version}",
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
