import * as t from "io-ts";
import { array, integer, matching, nonEmptyString, object, oneOf, stringMap } from "./combinators";
import { Customizer } from "./customizers";
import { Distributor } from "./distributors";
import { resourceGroupId, resourceGroupName, subnetId, templateName, userAssignedIdentityId } from "./ids";
import { BuildSettings } from "./build";
import { AutoRun, ErrorHandling, Optimize } from "./optimize";
import { Source } from "./source";
import { Validate } from "./validate";

export const subscriptionIdPattern = /^[0-9A-Fa-f]{8}-([0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}$/;

export const DataDisk = object("DataDisk", {}, { sizeGB: integer(0) });

/**
 * The resource's arguments: the cmdlet's UpdateExpanded parameters (camelCased) plus what API 2025-10-01 adds.
 * Nested objects keep the API's own member names. The single source of truth for the input shape.
 */
export const ImageTemplateArgsCodec = object(
  "ImageTemplateArgs",
  {
    /** Resource group that holds the template (1-90 letters, digits, `._-()`, not ending in `.`). Change: replace. */
    resourceGroupName,
    /**
     * Azure region of the template, e.g. `westus2` (`West US 2` compares equal). Default: the stack config's
     * `azure-native:location`. Change: replace.
     */
    location: nonEmptyString,
    /**
     * The image to start from, by `type`: `PlatformImage` (publisher, offer, sku, version such as `latest`, planInfo),
     * `ManagedImage` (imageId) or `SharedImageVersion` (imageVersionId). Change: replace.
     */
    source: Source,
    /**
     * Where the built image goes (at least one, unique `runOutputName`s): `ManagedImage`, `SharedImage` (gallery
     * image with targetRegions, versioning, replicationMode) or `VHD`. Change: update in place (PATCH).
     */
    distribute: array(Distributor, { minItems: 1 }),
  },
  {
    /**
     * The template's name (`^[A-Za-z0-9-_.]{1,64}$`). Default: `<resource name>-<7 hex>`, kept across updates. Change:
     * replace (deleting the old template first, as the service holds one template per name).
     */
    imageTemplateName: templateName,
    /**
     * Subscription (a GUID). Default: `azure-native:subscriptionId`, `AZURE_SUBSCRIPTION_ID`, `ARM_SUBSCRIPTION_ID`,
     * else the Azure CLI's default subscription; recorded in state. Change: replace.
     */
    subscriptionId: matching(subscriptionIdPattern, "be a subscription id (a GUID)"),
    /** Maximum build duration in minutes, 0-960; 0 or unset: the service's 240. Change: replace. */
    buildTimeoutInMinute: integer(0, 960),
    /**
     * Steps run on the build VM, in order: `Shell`, `PowerShell`, `WindowsRestart`, `WindowsUpdate`, `File` (the
     * API's own members). Default: none. Change: replace.
     */
    customize: array(Customizer),
    /**
     * `UserAssigned` or `None`. Default: `UserAssigned` when identityUserAssignedIdentity is given, else `None`.
     * Change: update in place.
     */
    identityType: oneOf("UserAssigned", "None"),
    /**
     * The one user-assigned identity (resource id) the service builds as; required to create a template.
     * Change: update in place.
     */
    identityUserAssignedIdentity: array(userAssignedIdentityId),
    /** Azure tags of the template. Default: none. Change: update in place (PATCH tags). */
    tag: stringMap,
    /** OS disk size of the build VM in GB; 0 or unset: the source image's size. Change: update in place. */
    vmProfileOsdiskSizeGb: integer(0),
    /** Size of the build VM, e.g. `Standard_D2s_v3`. Default: the service's (`Standard_D1_v2` or similar). Change: update in place. */
    vmProfileVmsize: t.string,
    /** User-assigned identities (resource ids) attached to the build VM. Default: none. Change: update in place. */
    vmProfileUserAssignedIdentities: array(userAssignedIdentityId),
    /** Subnet (resource id) the build VM joins. Default: a temporary network. Change: update in place. */
    vnetConfigSubnetId: subnetId,
    /**
     * Subnet (resource id, same virtual network as vnetConfigSubnetId) for the Azure Container Instance the service
     * uses instead of a proxy VM. Default: none. Change: update in place.
     */
    vnetConfigContainerInstanceSubnetId: subnetId,
    /** Size of the proxy VM used with vnetConfigSubnetId. Default: the service's. Change: replace. */
    vnetConfigProxyVmSize: t.string,
    /**
     * In-VM validations after customizing (`inVMValidations`: Shell, PowerShell, File), `continueDistributeOnFailure`,
     * `sourceValidationOnly`. Default: none. Change: replace.
     */
    validate: Validate,
    /** Optimizations: `vmBoot.state`, `workload` (state, scriptUri, sha256Checksum). Default: none. Change: replace. */
    optimize: Optimize,
    /** What to do on a customizer or validation error: `cleanup` or `abort`. Default: the service's. Change: replace. */
    errorHandling: ErrorHandling,
    /** Resource group id for the build's temporary resources. Default: `IT_<rg>_<template>_<guid>`. Change: replace. */
    stagingResourceGroup: resourceGroupId,
    /** Extra data disks of the build VM (`sizeGB` each). Default: none. Change: replace. */
    additionalDataDisks: array(DataDisk),
    /** `{ state: "Enabled" }` makes the service build once the template is created. Default: disabled. Change: replace. */
    autoRun: AutoRun,
    /** Tags the service puts on the resources it creates for the build. Default: none. Change: replace. */
    managedResourceTags: stringMap,
    /**
     * Provider only: take over an existing template of this name whose immutable arguments match (tags, identity,
     * vmProfile and distribute are reconciled). Default: false. Set it for one `pulumi up`, then remove it.
     */
    adoptExisting: t.boolean,
    /**
     * Provider only: run the image build from `pulumi up` (`when`: `never` (default), `onCreate`, `onChange`;
     * `trigger`, `waitForCompletion`, `timeoutMinutes`, `cancelOnTimeout`; see docs/builds.md). Change: never replaces.
     */
    build: BuildSettings,
  },
);

/** Arguments after `check`: name and subscription are always resolved there. */
export type ImageTemplateInputs = t.TypeOf<typeof ImageTemplateArgsCodec>;
export type ArgKey = keyof typeof ImageTemplateArgsCodec.required | keyof typeof ImageTemplateArgsCodec.optional;

export const ARG_KEYS = [
  ...Object.keys(ImageTemplateArgsCodec.required),
  ...Object.keys(ImageTemplateArgsCodec.optional),
] as ArgKey[];
