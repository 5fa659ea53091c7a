import * as t from "io-ts";
import { array, atMost, integer, nonEmptyString, object, oneOf, stringMap } from "../../codecs/combinators";
import { BOUNDS } from "../../codecs/bounds";
import { Customizer } from "./customizers";
import { Distributor } from "./distributors";
import {
  resourceGroupId,
  resourceGroupName,
  subnetId,
  subscriptionId,
  templateName,
  userAssignedIdentityId,
} from "../../codecs/ids";
import { BuildSettings } from "./build";
import { AutoRun, ErrorHandling, Optimize } from "./optimize";
import { Source } from "./source";
import { Validate } from "./validate";

export const DataDisk = object("DataDisk", {}, { sizeGB: integer(0) });

/**
 * The resource's arguments: the cmdlet's UpdateExpanded parameters (camelCased) plus what API 2025-10-01 adds.
 * Nested objects keep the API's own member names. The single source of truth for the input shape.
 */
export const ImageTemplateArgsCodec = object(
  "ImageTemplateArgs",
  {
    resourceGroupName,
    location: atMost(BOUNDS.region.max, nonEmptyString),
    source: Source,
    distribute: array(Distributor, { minItems: 1, maxItems: BOUNDS.list.max }),
  },
  {
    imageTemplateName: templateName,
    subscriptionId,
    buildTimeoutInMinute: integer(0, 960),
    customize: array(Customizer, { maxItems: BOUNDS.steps.max }),
    identityType: oneOf("UserAssigned", "None"),
    identityUserAssignedIdentity: array(userAssignedIdentityId, { maxItems: BOUNDS.list.max }),
    tag: stringMap,
    vmProfileOsdiskSizeGb: integer(0),
    vmProfileVmsize: atMost(BOUNDS.name.max),
    vmProfileUserAssignedIdentities: array(userAssignedIdentityId, { maxItems: BOUNDS.list.max }),
    vnetConfigSubnetId: subnetId,
    vnetConfigContainerInstanceSubnetId: subnetId,
    vnetConfigProxyVmSize: atMost(BOUNDS.name.max),
    validate: Validate,
    optimize: Optimize,
    errorHandling: ErrorHandling,
    stagingResourceGroup: resourceGroupId,
    additionalDataDisks: array(DataDisk, { maxItems: BOUNDS.dataDisks.max }),
    autoRun: AutoRun,
    managedResourceTags: stringMap,
    adoptExisting: t.boolean,
    build: BuildSettings,
  },
);

/** Arguments after `check`: name and subscription are always resolved there. */
export type ImageTemplateInputs = t.TypeOf<typeof ImageTemplateArgsCodec>;
export const ARG_KEYS = ImageTemplateArgsCodec.keys;
export type ArgKey = (typeof ARG_KEYS)[number];
