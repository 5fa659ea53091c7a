import * as pulumi from "@pulumi/pulumi";
import { ARG_KEYS, type ImageTemplateInputs } from "./codecs/args";
import { COMPUTED_OUTPUT_KEYS, type ComputedOutputs } from "./mapping";
import type { BuildOutputs } from "./operations";
import { AUTONAME_SEED_KEY, PULUMI_NAME_KEY } from "./inputs";
import imageTemplateProvider = require("./provider");
import { warnIgnoredCustomTimeouts } from "./timeouts";

/** `pulumi.Input` at every level, so nested members (ids inside `source`, `distribute`, ...) can be Outputs too. */
export type DeepInput<T> = T extends string | number | boolean
  ? pulumi.Input<T>
  : T extends readonly (infer E)[]
    ? pulumi.Input<DeepInput<E>[]>
    : T extends object
      ? pulumi.Input<{ [K in keyof T]: DeepInput<T[K]> }>
      : pulumi.Input<T>;

/**
 * Arguments of an ImageTemplate: the expanded parameters of Update-AzImageBuilderVirtualMachineImageTemplate plus
 * what API 2025-10-01 adds (see the README's cmdlet table). Derived from the io-ts codec, which `check` enforces.
 */
type AllArgs = { [K in keyof ImageTemplateInputs]: DeepInput<ImageTemplateInputs[K]> };
/** `location` may be left out when the stack config has `azure-native:location` (check fills it in). */
export type ImageTemplateArgs = Omit<AllArgs, "location"> & Partial<Pick<AllArgs, "location">>;

type In<K extends keyof ImageTemplateInputs> = pulumi.Output<ImageTemplateInputs[K]>;
type Out<K extends keyof ComputedOutputs> = pulumi.Output<ComputedOutputs[K]>;
type BuildOut<K extends keyof BuildOutputs> = pulumi.Output<BuildOutputs[K]>;

const BUILD_OUTPUT_KEYS = ["runOutputs", "buildPending"] as const satisfies readonly (keyof BuildOutputs)[];
/** Every property the resource exposes: the arguments (echoed), the service's read-only state, the build results. */
const OUTPUT_KEYS: readonly string[] = [...ARG_KEYS, ...COMPUTED_OUTPUT_KEYS, ...BUILD_OUTPUT_KEYS];

/**
 * An Azure VM Image Builder template (Microsoft.VirtualMachineImages/imageTemplates, API 2025-10-01). Changes to
 * tags, identity, vmProfile and distribute are applied in place (PATCH); any other change replaces the template.
 * With `build`, `pulumi up` also runs the image build and exposes its artifacts as `runOutputs` (docs/builds.md).
 */
export class ImageTemplate extends pulumi.dynamic.Resource {
  // Arguments, echoed as the provider normalised them (name and subscription resolved); each links its argument.
  /** The {@link ImageTemplateArgs.imageTemplateName | imageTemplateName}: the given one or the autoname check chose. */
  declare readonly imageTemplateName: pulumi.Output<string>;
  /** The {@link ImageTemplateArgs.resourceGroupName | resourceGroupName} argument, as checked. */
  declare readonly resourceGroupName: In<"resourceGroupName">;
  /** The {@link ImageTemplateArgs.location | location} argument, as checked. */
  declare readonly location: In<"location">;
  /** The {@link ImageTemplateArgs.subscriptionId | subscriptionId}: the given one or the default check resolved. */
  declare readonly subscriptionId: pulumi.Output<string>;
  /** The {@link ImageTemplateArgs.buildTimeoutInMinute | buildTimeoutInMinute} argument, as checked. */
  declare readonly buildTimeoutInMinute: In<"buildTimeoutInMinute">;
  /** The {@link ImageTemplateArgs.customize | customize} argument, as checked. */
  declare readonly customize: In<"customize">;
  /** The {@link ImageTemplateArgs.distribute | distribute} argument, as checked. */
  declare readonly distribute: In<"distribute">;
  /** The {@link ImageTemplateArgs.identityType | identityType} argument, as checked. */
  declare readonly identityType: In<"identityType">;
  /** The {@link ImageTemplateArgs.identityUserAssignedIdentity | identityUserAssignedIdentity} argument, as checked. */
  declare readonly identityUserAssignedIdentity: In<"identityUserAssignedIdentity">;
  /** The {@link ImageTemplateArgs.source | source} argument, as checked. */
  declare readonly source: In<"source">;
  /** The {@link ImageTemplateArgs.tag | tag} argument, as checked. */
  declare readonly tag: In<"tag">;
  /** The {@link ImageTemplateArgs.vmProfileOsdiskSizeGb | vmProfileOsdiskSizeGb} argument, as checked. */
  declare readonly vmProfileOsdiskSizeGb: In<"vmProfileOsdiskSizeGb">;
  /** The {@link ImageTemplateArgs.vmProfileVmsize | vmProfileVmsize} argument, as checked. */
  declare readonly vmProfileVmsize: In<"vmProfileVmsize">;
  /** The {@link ImageTemplateArgs.vmProfileUserAssignedIdentities | vmProfileUserAssignedIdentities} argument, as checked. */
  declare readonly vmProfileUserAssignedIdentities: In<"vmProfileUserAssignedIdentities">;
  /** The {@link ImageTemplateArgs.vnetConfigSubnetId | vnetConfigSubnetId} argument, as checked. */
  declare readonly vnetConfigSubnetId: In<"vnetConfigSubnetId">;
  /** The {@link ImageTemplateArgs.vnetConfigContainerInstanceSubnetId | vnetConfigContainerInstanceSubnetId} argument, as checked. */
  declare readonly vnetConfigContainerInstanceSubnetId: In<"vnetConfigContainerInstanceSubnetId">;
  /** The {@link ImageTemplateArgs.vnetConfigProxyVmSize | vnetConfigProxyVmSize} argument, as checked. */
  declare readonly vnetConfigProxyVmSize: In<"vnetConfigProxyVmSize">;
  /** The {@link ImageTemplateArgs.validate | validate} argument, as checked. */
  declare readonly validate: In<"validate">;
  /** The {@link ImageTemplateArgs.optimize | optimize} argument, as checked. */
  declare readonly optimize: In<"optimize">;
  /** The {@link ImageTemplateArgs.errorHandling | errorHandling} argument, as checked. */
  declare readonly errorHandling: In<"errorHandling">;
  /** The {@link ImageTemplateArgs.stagingResourceGroup | stagingResourceGroup} argument, as checked. */
  declare readonly stagingResourceGroup: In<"stagingResourceGroup">;
  /** The {@link ImageTemplateArgs.additionalDataDisks | additionalDataDisks} argument, as checked. */
  declare readonly additionalDataDisks: In<"additionalDataDisks">;
  /** The {@link ImageTemplateArgs.autoRun | autoRun} argument, as checked. */
  declare readonly autoRun: In<"autoRun">;
  /** The {@link ImageTemplateArgs.managedResourceTags | managedResourceTags} argument, as checked. */
  declare readonly managedResourceTags: In<"managedResourceTags">;
  /** The {@link ImageTemplateArgs.adoptExisting | adoptExisting} argument, as checked. */
  declare readonly adoptExisting: In<"adoptExisting">;
  /** The {@link ImageTemplateArgs.build | build} argument, as checked. */
  declare readonly build: In<"build">;
  // Read-only state (the cmdlet's read-only parameters among them).
  /** The template's ARM resource id (also the Pulumi id). */
  declare readonly resourceId: Out<"resourceId">;
  /** `Creating`, `Updating`, `Succeeded`, `Failed`, `Deleting` or `Canceled` (a failed create is deleted and reported instead). */
  declare readonly provisioningState: Out<"provisioningState">;
  /** The service's code when provisioning failed, e.g. `BadSourceType`. */
  declare readonly provisioningErrorCode: Out<"provisioningErrorCode">;
  /** The service's message when provisioning failed. */
  declare readonly provisioningErrorMessage: Out<"provisioningErrorMessage">;
  /** State of the last build: `Running`, `Canceling`, `Succeeded`, `PartiallySucceeded`, `Failed`, `Canceled`. */
  declare readonly lastRunStatusRunState: Out<"lastRunStatusRunState">;
  /** Phase of a running build: `Queued`, `Building`, `Customizing`, `Optimizing`, `Validating`, `Distributing`. */
  declare readonly lastRunStatusRunSubState: Out<"lastRunStatusRunSubState">;
  /** When the last build started (ISO 8601). */
  declare readonly lastRunStatusStartTime: Out<"lastRunStatusStartTime">;
  /** When the last build ended (ISO 8601). */
  declare readonly lastRunStatusEndTime: Out<"lastRunStatusEndTime">;
  /** The service's message about the last build (e.g. why it failed). */
  declare readonly lastRunStatusMessage: Out<"lastRunStatusMessage">;
  /** The resource group the service builds in: stagingResourceGroup, or the `IT_<rg>_<template>_<guid>` it made. */
  declare readonly exactStagingResourceGroup: Out<"exactStagingResourceGroup">;
  /** The platform image version the source resolved to (what `latest` meant at creation). */
  declare readonly sourceExactVersion: Out<"sourceExactVersion">;
  // Build results (docs/builds.md).
  /** The last successful build's artifacts by runOutputName: `artifactId` (managed image, gallery image version) or `artifactUri` (VHD). */
  declare readonly runOutputs: BuildOut<"runOutputs">;
  /** True while a build the program asked for has not completed (failed, canceled, timed out): the next up retries it. */
  declare readonly buildPending: BuildOut<"buildPending">;

  /** The artifact id (or, for a VHD, its URI) the last successful build produced for a distribute target. */
  artifactOf(runOutputName: string): pulumi.Output<string | undefined> {
    return this.runOutputs.apply((o) => o?.[runOutputName]?.artifactId ?? o?.[runOutputName]?.artifactUri);
  }

  /**
   * Reads an existing template into the program by its resource id (no adoption: Pulumi will not manage it).
   * For taking over an existing template, declare it with `adoptExisting: true` instead (`pulumi import` does not
   * work for dynamic providers).
   */
  static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): ImageTemplate {
    return new ImageTemplate(name, undefined as unknown as ImageTemplateArgs, { ...opts, id });
  }

  constructor(name: string, args: ImageTemplateArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, unknown> = Object.fromEntries(OUTPUT_KEYS.map((k) => [k, undefined]));
    // The seed makes the autoname suffix deterministic (same inputs, same name in preview and up), per stack.
    const seed = `${pulumi.getProject()}/${pulumi.getStack()}/${name}`;
    if (!opts?.id) Object.assign(props, args, { [PULUMI_NAME_KEY]: name, [AUTONAME_SEED_KEY]: seed });
    // The service holds one template per name, so with a fixed name every replacement must delete first. diff says
    // so too, but the engine decides `up --replace` and tainted resources without asking diff: only this option
    // reaches those. (An explicit deleteBeforeReplace in opts still wins.)
    const fixedName = !opts?.id && args.imageTemplateName !== undefined;
    const options = fixedName ? { deleteBeforeReplace: true, ...opts } : opts;
    super(imageTemplateProvider, name, props, options, "azure-imagebuilder", "ImageTemplate");
    warnIgnoredCustomTimeouts(this, opts);
  }
}
