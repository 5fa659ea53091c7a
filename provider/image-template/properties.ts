import type { ImageTemplateIdentity } from "@azure/arm-imagebuilder";
import type { ArgKey, ImageTemplateInputs } from "./codecs/args";

/*
 * What the provider knows about each property of an image template, in one place. The codecs (./codecs/, on the
 * combinators of provider/codecs/) give the shape and `check`'s per-member rules; this table gives the rest, and
 * diff.ts (canonical form, classification), mapping.ts (ARM body both ways, PATCH body, outputs), resource.ts
 * (outputs, TSDoc) and the README's tables (toolchain/docs.ts) are derived from it. Rules are keyed by the member's full path ("distribute[].uri"), so two
 * members that share a leaf name never share a rule. A unit test (test/unit/properties.test.ts) holds the table
 * to the codecs and to Microsoft's 2025-10-01 request examples.
 */

/**
 * What a changed value of an argument needs. replace: a new template (the service answers a PUT to an existing
 * template with 409 Conflict); update: PATCH in place (ImageTemplateUpdateParameters: tags, identity,
 * properties.vmProfile, properties.distribute); setting: a provider setting recorded by an update without touching
 * the template; none: steers create only, a change alone is no change.
 */
export type Change = "replace" | "update" | "setting" | "none";

/**
 * How two values of a string member (or of each item of a string list) compare beyond plain equality. armId: ARM ids
 * and names are case-insensitive; region: "West US" and "westus" are one place; json: an opaque JSON value whose key
 * order carries no meaning (no default or empty-value folding inside it).
 */
export type Comparison = "armId" | "region" | "json";

export interface Member {
  /** One line for the docs (TSDoc, README). */
  doc: string;
  /** What "absent" equals: the service fills it in its answers, so it compares equal to an omitted value. */
  default?: unknown;
  /**
   * The service computes a value when the program leaves the member out (the SHA-256 of the file a step downloads):
   * whatever it answers then matches the omitted value. A value the program gives is compared as usual.
   */
  computed?: true;
  /** How the service's answer may spell the same value (armId: it echoes ids in another casing). */
  compare?: Comparison;
  /** A list whose order carries no meaning. */
  set?: true;
}

export interface Argument extends Member {
  change: Change;
  /**
   * Where the value lives in the ARM body (wire form, `properties.` included); nested members keep the API's names
   * below it. Absent for the address (parsed from the resource id) and for provider-only arguments.
   */
  arm?: string;
  /** Part of the template's ARM id (/subscriptions/{}/resourceGroups/{}/.../imageTemplates/{}). */
  address?: true;
  /** A list of ids that ARM holds as the keys of a map ({id: {}}). */
  mapKeys?: true;
  /** What PATCH sends for a member the program removed (PATCH merges, so omitting it would keep the old value). */
  reset?: unknown;
  /** The parameter of Update-AzImageBuilderVirtualMachineImageTemplate it stands for. */
  cmdlet?: string;
  /** Always set after `check` (resolved there when omitted). */
  resolved?: true;
}

/** The arguments of ImageTemplate. */
export const ARGUMENTS: Record<ArgKey, Argument> = {
  imageTemplateName: {
    change: "replace",
    address: true,
    compare: "armId",
    resolved: true,
    cmdlet: "-ImageTemplateName",
    doc: "The template's name (^[A-Za-z0-9-_.]{1,64}$). Omitted: autonamed `<pulumi name>-<7 hex>`, kept across updates; a replacement gets a fresh name (create-before-delete).",
  },
  resourceGroupName: {
    change: "replace",
    address: true,
    compare: "armId",
    cmdlet: "-ResourceGroupName",
    doc: "The resource group that holds the template.",
  },
  location: {
    change: "replace",
    arm: "location",
    compare: "region",
    resolved: true,
    cmdlet: "-Location",
    doc: "The template's region; `West US` and `westus` compare equal. Omitted: the stack config's `azure-native:location` (or `ARM_LOCATION`).",
  },
  subscriptionId: {
    change: "replace",
    address: true,
    compare: "armId",
    resolved: true,
    cmdlet: "-SubscriptionId",
    doc: "Default (the cmdlet's current context): `azure-native:subscriptionId`, `AZURE_SUBSCRIPTION_ID` or `ARM_SUBSCRIPTION_ID`, else the Azure CLI's default subscription; resolved in `check` so state records it.",
  },
  buildTimeoutInMinute: {
    change: "replace",
    arm: "properties.buildTimeoutInMinutes",
    default: 0,
    cmdlet: "-BuildTimeoutInMinute",
    doc: "Maximum build duration, 0–960 minutes; 0 or omitted = 4 h.",
  },
  customize: {
    change: "replace",
    arm: "properties.customize",
    cmdlet: "-Customize",
    doc: "Customizers with the API's own members, a union on `type`: `Shell`, `PowerShell`, `WindowsRestart`, `WindowsUpdate`, `File`.",
  },
  distribute: {
    change: "update",
    arm: "properties.distribute",
    cmdlet: "-Distribute",
    doc: "Distribution targets, a union on `type`: `ManagedImage`, `SharedImage` (targetRegions, versioning, replicationMode, ...), `VHD`.",
  },
  identityType: {
    change: "update",
    arm: "identity.type",
    cmdlet: "-IdentityType",
    doc: "`UserAssigned` | `None`; omitted = `UserAssigned` when an id is given, else `None`. Creating needs one identity.",
  },
  identityUserAssignedIdentity: {
    change: "update",
    arm: "identity.userAssignedIdentities",
    mapKeys: true,
    compare: "armId",
    set: true,
    cmdlet: "-IdentityUserAssignedIdentity",
    doc: "The template's user-assigned identity as a list of resource ids (exactly one) instead of the cmdlet's hashtable: Output ids cannot be map keys.",
  },
  source: {
    change: "replace",
    arm: "properties.source",
    cmdlet: "-SourceType",
    doc: "The image to start from, a union on `type` (the cmdlet's -SourceType): `PlatformImage`, `ManagedImage`, `SharedImageVersion`. The resolved version is the output `sourceExactVersion`.",
  },
  tag: {
    change: "update",
    arm: "tags",
    reset: {},
    cmdlet: "-Tag",
    doc: "Resource tags of the template.",
  },
  vmProfileOsdiskSizeGb: {
    change: "update",
    arm: "properties.vmProfile.osDiskSizeGB",
    default: 0,
    reset: 0,
    cmdlet: "-VMProfileOsdiskSizeGb",
    doc: "OS disk size of the build VM in GB; 0 or omitted = Azure's default size.",
  },
  vmProfileVmsize: {
    change: "update",
    arm: "properties.vmProfile.vmSize",
    default: "",
    reset: "",
    cmdlet: "-VMProfileVmsize",
    doc: "Size of the build VM; empty or omitted = the service's default size.",
  },
  vmProfileUserAssignedIdentities: {
    change: "update",
    arm: "properties.vmProfile.userAssignedIdentities",
    compare: "armId",
    set: true,
    reset: [],
    doc: "User-assigned identity ids given to the build VM.",
  },
  vnetConfigSubnetId: {
    change: "update",
    arm: "properties.vmProfile.vnetConfig.subnetId",
    compare: "armId",
    cmdlet: "-VnetConfigSubnetId",
    doc: "Subnet id the build VM joins (an existing virtual network).",
  },
  vnetConfigContainerInstanceSubnetId: {
    change: "update",
    arm: "properties.vmProfile.vnetConfig.containerInstanceSubnetId",
    compare: "armId",
    doc: "Subnet id for the Azure Container Instance that runs the build (isolated builds); same virtual network as vnetConfigSubnetId.",
  },
  vnetConfigProxyVmSize: {
    // Inside vmProfile, but not in the service's list of members a PATCH may change.
    change: "replace",
    arm: "properties.vmProfile.vnetConfig.proxyVmSize",
    default: "",
    reset: "",
    doc: "Size of the proxy VM that reaches the build VM in the virtual network; empty = the service's default.",
  },
  validate: {
    change: "replace",
    arm: "properties.validate",
    doc: "Validation of the image: `inVMValidations` (Shell, PowerShell, File), `continueDistributeOnFailure`, `sourceValidationOnly`.",
  },
  optimize: {
    change: "replace",
    arm: "properties.optimize",
    doc: "Image optimizations: `vmBoot.state`, `workload.{state,scriptUri,sha256Checksum}`.",
  },
  errorHandling: {
    change: "replace",
    arm: "properties.errorHandling",
    doc: "What a failing customizer or validation does to the build VM: `onCustomizerError`, `onValidationError` (cleanup | abort).",
  },
  stagingResourceGroup: {
    change: "replace",
    arm: "properties.stagingResourceGroup",
    compare: "armId",
    default: "",
    doc: "Resource group id for the build's temporary resources; omitted = a random `IT_...` group the service creates.",
  },
  additionalDataDisks: {
    change: "replace",
    arm: "properties.additionalDataDisks",
    doc: "Extra data disks of the build VM (`sizeGB`).",
  },
  autoRun: {
    change: "replace",
    arm: "properties.autoRun",
    doc: "`state: Enabled` makes the service build when the template is created or updated.",
  },
  managedResourceTags: {
    change: "replace",
    arm: "properties.managedResourceTags",
    doc: "Tags for the resources the service creates during a build.",
  },
  adoptExisting: {
    change: "none",
    doc: "Provider only: take over an existing template of the same name when its immutable arguments match (dynamic providers cannot be `pulumi import`ed); tags, identity, vmProfile and distribute are then reconciled by PATCH. An update with it takes over a template another stack or program holds, or that lost its ownership tag (README: whose template it is).",
  },
  build: {
    change: "setting",
    doc: "Provider only: run the image build from `pulumi up` (what Start-AzImageBuilderTemplate does), wait for it and expose the artifacts as `runOutputs` (docs/builds.md, which also compares it with `autoRun`).",
  },
};

/** The members of a Shell, PowerShell or File step, which `customize[]` and `validate.inVMValidations[]` share. */
const STEP_MEMBERS: Record<string, Member> = {
  name: { doc: "Step name in the build log." },
  scriptUri: { doc: "Script to download and run." },
  sha256Checksum: {
    default: "",
    computed: true,
    doc: "SHA-256 of the downloaded file; omitted = the service computes it from the file when the template is created.",
  },
  inline: { doc: "Commands to run." },
  runElevated: { default: false, doc: "Run with elevated privileges." },
  runAsSystem: { default: false, doc: "Run as the SYSTEM user (needs runElevated)." },
  validExitCodes: { doc: "Exit codes counted as success." },
  sourceUri: { doc: "File to download." },
  destination: { doc: "Path on the build VM." },
};
const stepMembers = (list: string): Record<string, Member> =>
  Object.fromEntries(Object.entries(STEP_MEMBERS).map(([key, member]) => [`${list}.${key}`, member]));

/** Nested members, by path below their argument ("[]" for a list item). Union members that share a path share an entry. */
export const MEMBERS: Record<string, Member> = {
  "source.type": { doc: "`PlatformImage`, `ManagedImage` or `SharedImageVersion`." },
  "source.publisher": { doc: "Platform image publisher." },
  "source.offer": { doc: "Platform image offer." },
  "source.sku": { doc: "Platform image SKU." },
  "source.version": { doc: "Platform image version, or `latest`." },
  "source.planInfo": { doc: "Purchase plan of a marketplace image." },
  "source.planInfo.planName": { doc: "Plan name." },
  "source.planInfo.planProduct": { doc: "Plan product." },
  "source.planInfo.planPublisher": { doc: "Plan publisher." },
  "source.imageId": { compare: "armId", doc: "Managed image id." },
  "source.imageVersionId": { compare: "armId", doc: "Gallery image version id." },
  "distribute[].type": { doc: "`ManagedImage`, `SharedImage` or `VHD`." },
  "distribute[].runOutputName": { doc: "Name of the target's run output (unique in the template)." },
  "distribute[].imageId": { compare: "armId", doc: "Managed image id to create." },
  "distribute[].location": { compare: "region", doc: "Region of the managed image." },
  "distribute[].artifactTags": { doc: "Tags for the artifact." },
  "distribute[].galleryImageId": { compare: "armId", doc: "Gallery image (definition or version) id." },
  "distribute[].replicationRegions": {
    compare: "region",
    set: true,
    doc: "Replica regions (deprecated: use targetRegions).",
  },
  "distribute[].excludeFromLatest": { default: false, doc: "Keep the version out of `latest`." },
  "distribute[].storageAccountType": { doc: "Storage type with replicationRegions." },
  "distribute[].targetRegions": { doc: "Regions to replicate the version to." },
  "distribute[].targetRegions[].name": { compare: "region", doc: "Region name." },
  "distribute[].targetRegions[].replicaCount": { default: 1, doc: "Replicas in the region." },
  "distribute[].targetRegions[].storageAccountType": { doc: "Storage type of the replicas." },
  "distribute[].versioning": { doc: "How the version number is chosen." },
  "distribute[].versioning.scheme": { doc: "`Latest` or `Source`." },
  "distribute[].versioning.major": { default: -1, doc: "Major version to use the latest of; -1 = the highest." },
  "distribute[].replicationMode": { doc: "`Full` or `Shallow`." },
  "distribute[].uri": { default: "", doc: "Blob URI of the VHD; empty = the service's storage account." },
  "customize[].type": { doc: "`Shell`, `PowerShell`, `WindowsRestart`, `WindowsUpdate` or `File`." },
  ...stepMembers("customize[]"),
  "customize[].restartCommand": { default: "", doc: "Command that restarts Windows; empty = the service's default." },
  "customize[].restartCheckCommand": { default: "", doc: "Command that checks the restart succeeded." },
  "customize[].restartTimeout": { doc: "How long to wait for the restart (e.g. `5m`)." },
  "customize[].searchCriteria": { default: "", doc: "Windows Update search criteria." },
  "customize[].filters": { doc: "Windows Update filters." },
  "customize[].updateLimit": { default: 0, doc: "Maximum number of updates at a time." },
  "validate.continueDistributeOnFailure": { default: false, doc: "Distribute even when validation fails." },
  "validate.sourceValidationOnly": { default: false, doc: "Validate the source image only." },
  "validate.inVMValidations": { doc: "Validation steps run in the build VM." },
  "validate.inVMValidations[].type": { doc: "`Shell`, `PowerShell` or `File`." },
  ...stepMembers("validate.inVMValidations[]"),
  "optimize.vmBoot": { doc: "Boot optimization." },
  "optimize.vmBoot.state": { doc: "`Enabled` or `Disabled`." },
  "optimize.workload": { doc: "Workload optimization." },
  "optimize.workload.state": { doc: "`Enabled` or `Disabled`." },
  "optimize.workload.scriptUri": { doc: "Workload script." },
  "optimize.workload.sha256Checksum": { default: "", doc: "SHA-256 of the workload script." },
  "errorHandling.onCustomizerError": { default: "cleanup", doc: "`cleanup` or `abort`." },
  "errorHandling.onValidationError": { default: "cleanup", doc: "`cleanup` or `abort`." },
  "additionalDataDisks[].sizeGB": { doc: "Disk size in GB." },
  "autoRun.state": { doc: "`Enabled` or `Disabled`." },
  "build.when": {
    default: "never",
    doc: '"never" (default): no build; "onCreate": after creating (or replacing) the template; "onChange": after every create, replacement or in-place update.',
  },
  "build.trigger": {
    compare: "json",
    doc: "Any JSON value; changing it runs a new build on the next `pulumi up`.",
  },
  "build.waitForCompletion": { default: true, doc: "Wait for the build to end (default true)." },
  "build.timeoutMinutes": { doc: "How long to wait (default: buildTimeoutInMinute, 0 meaning 240, plus a margin)." },
  "build.cancelOnTimeout": { default: false, doc: "Cancel the build when the wait times out (default false)." },
  "build.logs": {
    default: "onFailure",
    doc: 'The build\'s customization.log: "onFailure" (default) shows its relevant lines when the build fails, "stream" also prints it live, "off" never reads it.',
  },
};

/** A read-only output the service reports (stored next to the echoed arguments). */
export interface Output {
  /** Where it is in the ARM body (wire form). */
  arm: string;
  doc: string;
  cmdlet?: string;
  /** A timestamp (the SDK gives a Date; state holds ISO 8601). */
  date?: true;
}

export const OUTPUTS = {
  resourceId: {
    arm: "id",
    doc: "The template's ARM resource id (also the Pulumi id), spelt as the program addresses it (`/resourceGroups/`; the service answers `/resourcegroups/` and ids compare case-insensitively), so refresh never changes it.",
  },
  provisioningState: { arm: "properties.provisioningState", doc: "Provisioning state of the template." },
  provisioningErrorCode: {
    arm: "properties.provisioningError.provisioningErrorCode",
    cmdlet: "-ProvisioningErrorCode",
    doc: "A failed create is deleted and reported as an error with this code, so state never holds a Failed template.",
  },
  provisioningErrorMessage: {
    arm: "properties.provisioningError.message",
    cmdlet: "-ProvisioningErrorMessage",
    doc: "The provisioning error's message.",
  },
  lastRunStatusRunState: {
    arm: "properties.lastRunStatus.runState",
    cmdlet: "-LastRunStatusRunState",
    doc: "Running, Canceling, Succeeded, PartiallySucceeded, Failed, Canceled.",
  },
  lastRunStatusRunSubState: {
    arm: "properties.lastRunStatus.runSubState",
    cmdlet: "-LastRunStatusRunSubState",
    doc: "Queued, Building, Customizing, Optimizing, Validating, Distributing.",
  },
  lastRunStatusStartTime: {
    arm: "properties.lastRunStatus.startTime",
    date: true,
    cmdlet: "-LastRunStatusStartTime",
    doc: "Start of the last build, ISO 8601.",
  },
  lastRunStatusEndTime: {
    arm: "properties.lastRunStatus.endTime",
    date: true,
    cmdlet: "-LastRunStatusEndTime",
    doc: "End of the last build, ISO 8601.",
  },
  lastRunStatusMessage: {
    arm: "properties.lastRunStatus.message",
    cmdlet: "-LastRunStatusMessage",
    doc: "Message of the last build.",
  },
  exactStagingResourceGroup: {
    arm: "properties.exactStagingResourceGroup",
    doc: "The staging resource group the service uses.",
  },
  sourceExactVersion: {
    arm: "properties.source.exactVersion",
    doc: "The source image version the service resolved (`latest` made exact).",
  },
} as const satisfies Record<string, Output>;
export type OutputKey = keyof typeof OUTPUTS;
export const OUTPUT_KEYS = Object.keys(OUTPUTS) as OutputKey[];

/** Outputs the provider computes around builds. */
export const BUILD_OUTPUTS = {
  runOutputs: {
    arm: "runOutputs",
    doc: "The last successful build's artifacts by runOutputName: `artifactId` (managed image, gallery image version) or `artifactUri` (VHD).",
  },
  buildPending: {
    doc: "True while a build the program asked for has not completed (failed, canceled, timed out): the next up retries it.",
  },
  lastBuildLog: {
    doc: 'The blob URL of the latest build\'s customization.log, once read (a failed build, or build.logs "stream").',
  },
  lastBuildError: {
    doc: 'The latest failed build\'s failing step and error, e.g. `customizer "install-nginx" (Shell): Script exited with non-zero exit status: 1`.',
  },
} as const;

export const ARG_ENTRIES = Object.entries(ARGUMENTS) as [ArgKey, Argument][];

/** The arguments a change of which the service applies with PATCH. */
export const IN_PLACE = ARG_ENTRIES.filter(([, a]) => a.change === "update").map(([k]) => k);

/** Arguments that steer the provider only (the template never sees them). */
export const providerOnly = (key: ArgKey): boolean => ["none", "setting"].includes(ARGUMENTS[key].change);

/** The table's rule for a member path ("distribute[].uri"): the argument's or the nested member's entry. */
export function memberAt(path: string): Member | undefined {
  return (ARGUMENTS as Record<string, Member>)[path] ?? MEMBERS[path];
}

/** The effective identity type: the API requires one; without ids the cmdlet's default is "None". */
export function identityTypeOf(args: Partial<ImageTemplateInputs>): ImageTemplateIdentity["type"] {
  return args.identityType ?? ((args.identityUserAssignedIdentity ?? []).length > 0 ? "UserAssigned" : "None");
}
