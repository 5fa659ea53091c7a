import * as t from "io-ts";
import { array, integer, nonEmptyString, object, oneOf, stringMap } from "../../codecs/combinators";
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
    location: nonEmptyString,
    source: Source,
    distribute: array(Distributor, { minItems: 1 }),
  },
  {
    imageTemplateName: templateName,
    subscriptionId,
    buildTimeoutInMinute: integer(0, 960),
    customize: array(Customizer),
    identityType: oneOf("UserAssigned", "None"),
    identityUserAssignedIdentity: array(userAssignedIdentityId),
    tag: stringMap,
    vmProfileOsdiskSizeGb: integer(0),
    vmProfileVmsize: t.string,
    vmProfileUserAssignedIdentities: array(userAssignedIdentityId),
    vnetConfigSubnetId: subnetId,
    vnetConfigContainerInstanceSubnetId: subnetId,
    vnetConfigProxyVmSize: t.string,
    validate: Validate,
    optimize: Optimize,
    errorHandling: ErrorHandling,
    stagingResourceGroup: resourceGroupId,
    additionalDataDisks: array(DataDisk),
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
