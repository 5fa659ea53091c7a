import * as pulumi from "@pulumi/pulumi";
import { ARG_KEYS, type ImageTemplateInputs } from "./codecs/args";
import { COMPUTED_OUTPUT_KEYS, type ComputedOutputs } from "./mapping";
import type { BuildOutputs } from "./operations";
import { AUTONAME_SEED_KEY, PULUMI_NAME_KEY, SECRET_KEYS_KEY } from "./inputs";
import imageTemplateProvider = require("./provider");

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
export type ImageTemplateArgs = { [K in keyof ImageTemplateInputs]: DeepInput<ImageTemplateInputs[K]> };

type In<K extends keyof ImageTemplateInputs> = pulumi.Output<ImageTemplateInputs[K]>;
type Out<K extends keyof ComputedOutputs> = pulumi.Output<ComputedOutputs[K]>;
type BuildOut<K extends keyof BuildOutputs> = pulumi.Output<BuildOutputs[K]>;

const BUILD_OUTPUT_KEYS = ["runOutputs", "buildPending"] as const satisfies readonly (keyof BuildOutputs)[];
/** Every property the resource exposes: the arguments (echoed), the service's read-only state, the build results. */
const OUTPUT_KEYS: readonly string[] = [...ARG_KEYS, ...COMPUTED_OUTPUT_KEYS, ...BUILD_OUTPUT_KEYS];

/** The arguments given as (or holding) secrets: the provider sees plaintext, so it is told which ones to mask. */
function secretKeysOf(args: ImageTemplateArgs): pulumi.Output<string[]> {
  const keys = Object.keys(args ?? {}).filter((k) => args[k as keyof ImageTemplateArgs] !== undefined);
  const secret = Promise.all(
    keys.map(async (k) => ((await pulumi.isSecret(pulumi.output(args[k as keyof ImageTemplateArgs]))) ? k : "")),
  );
  return pulumi.output(secret.then((found) => found.filter((k) => k !== "")));
}

/**
 * An Azure VM Image Builder template (Microsoft.VirtualMachineImages/imageTemplates, API 2025-10-01). Changes to
 * tags, identity, vmProfile and distribute are applied in place (PATCH); any other change replaces the template.
 * With `build`, `pulumi up` also runs the image build and exposes its artifacts as `runOutputs` (docs/builds.md).
 */
export class ImageTemplate extends pulumi.dynamic.Resource {
  // Arguments, echoed as the provider normalised them (name and subscription resolved).
  /** Always set: the given name or the autoname check chose. */
  declare readonly imageTemplateName: pulumi.Output<string>;
  declare readonly resourceGroupName: In<"resourceGroupName">;
  declare readonly location: In<"location">;
  /** Always set: the given subscription or the one from the environment. */
  declare readonly subscriptionId: pulumi.Output<string>;
  declare readonly buildTimeoutInMinute: In<"buildTimeoutInMinute">;
  declare readonly customize: In<"customize">;
  declare readonly distribute: In<"distribute">;
  declare readonly identityType: In<"identityType">;
  declare readonly identityUserAssignedIdentity: In<"identityUserAssignedIdentity">;
  declare readonly source: In<"source">;
  declare readonly tag: In<"tag">;
  declare readonly vmProfileOsdiskSizeGb: In<"vmProfileOsdiskSizeGb">;
  declare readonly vmProfileVmsize: In<"vmProfileVmsize">;
  declare readonly vmProfileUserAssignedIdentities: In<"vmProfileUserAssignedIdentities">;
  declare readonly vnetConfigSubnetId: In<"vnetConfigSubnetId">;
  declare readonly vnetConfigContainerInstanceSubnetId: In<"vnetConfigContainerInstanceSubnetId">;
  declare readonly vnetConfigProxyVmSize: In<"vnetConfigProxyVmSize">;
  declare readonly validate: In<"validate">;
  declare readonly optimize: In<"optimize">;
  declare readonly errorHandling: In<"errorHandling">;
  declare readonly stagingResourceGroup: In<"stagingResourceGroup">;
  declare readonly additionalDataDisks: In<"additionalDataDisks">;
  declare readonly autoRun: In<"autoRun">;
  declare readonly managedResourceTags: In<"managedResourceTags">;
  declare readonly adoptExisting: In<"adoptExisting">;
  declare readonly build: In<"build">;
  // Read-only state (the cmdlet's read-only parameters among them).
  declare readonly resourceId: Out<"resourceId">;
  declare readonly provisioningState: Out<"provisioningState">;
  declare readonly provisioningErrorCode: Out<"provisioningErrorCode">;
  declare readonly provisioningErrorMessage: Out<"provisioningErrorMessage">;
  declare readonly lastRunStatusRunState: Out<"lastRunStatusRunState">;
  declare readonly lastRunStatusRunSubState: Out<"lastRunStatusRunSubState">;
  declare readonly lastRunStatusStartTime: Out<"lastRunStatusStartTime">;
  declare readonly lastRunStatusEndTime: Out<"lastRunStatusEndTime">;
  declare readonly lastRunStatusMessage: Out<"lastRunStatusMessage">;
  declare readonly exactStagingResourceGroup: Out<"exactStagingResourceGroup">;
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
    if (!opts?.id) {
      Object.assign(props, args, {
        [PULUMI_NAME_KEY]: name,
        [AUTONAME_SEED_KEY]: seed,
        [SECRET_KEYS_KEY]: secretKeysOf(args),
      });
    }
    // The service holds one template per name, so with a fixed name every replacement must delete first. diff says
    // so too, but the engine decides `up --replace` and tainted resources without asking diff: only this option
    // reaches those. (An explicit deleteBeforeReplace in opts still wins.)
    const fixedName = !opts?.id && args.imageTemplateName !== undefined;
    const options = fixedName ? { deleteBeforeReplace: true, ...opts } : opts;
    super(imageTemplateProvider, name, props, options, "azure-imagebuilder", "ImageTemplate");
  }
}
