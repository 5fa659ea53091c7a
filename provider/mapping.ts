import { withoutMarker } from "./ownership";
import type {
  ImageTemplate,
  ImageTemplateIdentity,
  ImageTemplateUpdateParameters,
  ImageTemplateVmProfile,
} from "@azure/arm-imagebuilder";
import type { ArgKey, ImageTemplateInputs } from "./codecs/args";
import type { Customizer } from "./codecs/customizers";
import type { Distributor } from "./codecs/distributors";
import type { AutoRun, ErrorHandling, Optimize } from "./codecs/optimize";
import type { Source } from "./codecs/source";
import type { Validate } from "./codecs/validate";
import { compact } from "./inputs";

type Args = Partial<ImageTemplateInputs>;

/** Removes undefined members at every depth (the SDK's deserializers emit every member, set or not). */
export function deepCompact<T>(value: T): T {
  if (Array.isArray(value)) return value.map(deepCompact) as T;
  if (value instanceof Date || typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, deepCompact(v)]),
  ) as T;
}

const TEMPLATE_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.VirtualMachineImages\/imageTemplates\/([^/]+)$/i;

export interface TemplateAddress {
  subscriptionId: string;
  resourceGroupName: string;
  imageTemplateName: string;
}

export function templateId(a: TemplateAddress): string {
  return `/subscriptions/${a.subscriptionId}/resourceGroups/${a.resourceGroupName}/providers/Microsoft.VirtualMachineImages/imageTemplates/${a.imageTemplateName}`;
}

export function parseTemplateId(id: string): TemplateAddress | undefined {
  const m = TEMPLATE_ID.exec(id);
  return m ? { subscriptionId: m[1], resourceGroupName: m[2], imageTemplateName: m[3] } : undefined;
}

/** The effective identity: the API requires one; without ids the cmdlet's default is "None". */
export function identityOf(args: Args): ImageTemplateIdentity {
  const ids = args.identityUserAssignedIdentity ?? [];
  const type = args.identityType ?? (ids.length > 0 ? "UserAssigned" : "None");
  return compact({
    type,
    userAssignedIdentities: ids.length > 0 ? Object.fromEntries(ids.map((id) => [id, {}])) : undefined,
  });
}

/** The vmProfile-related arguments (all PATCH-able except the proxy VM size, see diff.ts). */
export const VM_PROFILE_KEYS = [
  "vmProfileVmsize",
  "vmProfileOsdiskSizeGb",
  "vmProfileUserAssignedIdentities",
  "vnetConfigSubnetId",
  "vnetConfigContainerInstanceSubnetId",
  "vnetConfigProxyVmSize",
] as const satisfies readonly ArgKey[];

// What PATCH needs to reset a vmProfile member the user removed (spec defaults).
const VM_PROFILE_RESET: Partial<Record<(typeof VM_PROFILE_KEYS)[number], unknown>> = {
  vmProfileVmsize: "",
  vmProfileOsdiskSizeGb: 0,
  vmProfileUserAssignedIdentities: [],
  vnetConfigProxyVmSize: "",
};

function vmProfileOf(args: Args): ImageTemplateVmProfile | undefined {
  const vnetConfig = compact({
    subnetId: args.vnetConfigSubnetId,
    containerInstanceSubnetId: args.vnetConfigContainerInstanceSubnetId,
    proxyVmSize: args.vnetConfigProxyVmSize,
  });
  const vmProfile = compact({
    vmSize: args.vmProfileVmsize,
    osDiskSizeGB: args.vmProfileOsdiskSizeGb,
    userAssignedIdentities: args.vmProfileUserAssignedIdentities,
    vnetConfig: Object.keys(vnetConfig).length > 0 ? vnetConfig : undefined,
  });
  return Object.keys(vmProfile).length > 0 ? vmProfile : undefined;
}

/** Arguments → the SDK's (flattened) ImageTemplate model sent by PUT. */
export function toImageTemplate(args: ImageTemplateInputs): ImageTemplate {
  return compact({
    location: args.location,
    tags: args.tag,
    identity: identityOf(args),
    source: args.source,
    customize: args.customize,
    optimize: args.optimize,
    validate: args.validate,
    distribute: args.distribute,
    errorHandling: args.errorHandling,
    buildTimeoutInMinutes: args.buildTimeoutInMinute,
    vmProfile: vmProfileOf(args),
    additionalDataDisks: args.additionalDataDisks,
    stagingResourceGroup: args.stagingResourceGroup,
    autoRun: args.autoRun,
    managedResourceTags: args.managedResourceTags,
  }) as ImageTemplate;
}

function vmProfileArgs(vmProfile: ImageTemplateVmProfile | undefined): Args {
  return compact({
    vmProfileVmsize: vmProfile?.vmSize,
    vmProfileOsdiskSizeGb: vmProfile?.osDiskSizeGB,
    vmProfileUserAssignedIdentities: vmProfile?.userAssignedIdentities,
    vnetConfigSubnetId: vmProfile?.vnetConfig?.subnetId,
    vnetConfigContainerInstanceSubnetId: vmProfile?.vnetConfig?.containerInstanceSubnetId,
    vnetConfigProxyVmSize: vmProfile?.vnetConfig?.proxyVmSize,
  });
}

function identityArgs(identity: ImageTemplateIdentity | undefined): Args {
  return compact({
    identityType: identity?.type as ImageTemplateInputs["identityType"],
    identityUserAssignedIdentity: identity?.userAssignedIdentities
      ? Object.keys(identity.userAssignedIdentities)
      : undefined,
  });
}

/** The service's view of a template as arguments (read-only members stripped; address parsed from its id). */
export function argsFromImageTemplate(template: ImageTemplate): Args {
  const t = deepCompact(template);
  const address = t.id ? parseTemplateId(t.id) : undefined;
  // exactVersion is read-only: it becomes the output sourceExactVersion.
  const source = t.source && (compact({ ...t.source, exactVersion: undefined }) as unknown as Source);
  return compact({
    ...address,
    location: t.location,
    tag: withoutMarker(t.tags),
    ...identityArgs(t.identity),
    source,
    customize: t.customize as Customizer[] | undefined,
    optimize: t.optimize as Optimize | undefined,
    validate: t.validate as Validate | undefined,
    distribute: t.distribute as Distributor[] | undefined,
    errorHandling: t.errorHandling as ErrorHandling | undefined,
    buildTimeoutInMinute: t.buildTimeoutInMinutes,
    ...vmProfileArgs(t.vmProfile),
    additionalDataDisks: t.additionalDataDisks,
    stagingResourceGroup: t.stagingResourceGroup,
    autoRun: t.autoRun as AutoRun | undefined,
    managedResourceTags: t.managedResourceTags,
  });
}

/** Read-only state of a template, as the resource's computed outputs (cmdlet's read-only parameters included). */
export function outputsFromImageTemplate(template: Partial<ImageTemplate>) {
  const iso = (d: Date | undefined) => (d instanceof Date ? d.toISOString() : d);
  return compact({
    resourceId: template.id,
    provisioningState: template.provisioningState,
    provisioningErrorCode: template.provisioningError?.provisioningErrorCode,
    provisioningErrorMessage: template.provisioningError?.message,
    lastRunStatusRunState: template.lastRunStatus?.runState,
    lastRunStatusRunSubState: template.lastRunStatus?.runSubState,
    lastRunStatusStartTime: iso(template.lastRunStatus?.startTime),
    lastRunStatusEndTime: iso(template.lastRunStatus?.endTime),
    lastRunStatusMessage: template.lastRunStatus?.message,
    exactStagingResourceGroup: template.exactStagingResourceGroup,
    sourceExactVersion: (template.source as { exactVersion?: string } | undefined)?.exactVersion,
  });
}
export type ComputedOutputs = ReturnType<typeof outputsFromImageTemplate>;
export const COMPUTED_OUTPUT_KEYS = [
  "resourceId",
  "provisioningState",
  "provisioningErrorCode",
  "provisioningErrorMessage",
  "lastRunStatusRunState",
  "lastRunStatusRunSubState",
  "lastRunStatusStartTime",
  "lastRunStatusEndTime",
  "lastRunStatusMessage",
  "exactStagingResourceGroup",
  "sourceExactVersion",
] as const satisfies readonly (keyof ComputedOutputs)[];

/**
 * The PATCH body for the changed in-place arguments. A vmProfile change sends the whole desired vmProfile, with spec
 * defaults for members present before and removed now (PATCH merges, so omitting them would keep the old values).
 */
export function toUpdateParameters(
  olds: Args,
  news: Args,
  changed: ReadonlySet<ArgKey>,
): ImageTemplateUpdateParameters {
  const vmProfileChanged = VM_PROFILE_KEYS.some((k) => changed.has(k));
  let vmProfile: ImageTemplateVmProfile | undefined;
  if (vmProfileChanged) {
    const desired: Args = { ...news };
    for (const key of VM_PROFILE_KEYS) {
      if (desired[key] === undefined && olds[key] !== undefined && key in VM_PROFILE_RESET) {
        (desired as Record<string, unknown>)[key] = VM_PROFILE_RESET[key];
      }
    }
    vmProfile = vmProfileOf(desired) ?? {};
  }
  const properties = compact({
    distribute: changed.has("distribute") ? news.distribute : undefined,
    vmProfile,
  });
  return compact({
    tags: changed.has("tag") ? (news.tag ?? {}) : undefined,
    identity: changed.has("identityType") || changed.has("identityUserAssignedIdentity") ? identityOf(news) : undefined,
    properties: Object.keys(properties).length > 0 ? properties : undefined,
  });
}

/** The arguments a PATCH body sets (inverse of toUpdateParameters for a create-from-nothing). */
export function argsFromUpdateParameters(body: ImageTemplateUpdateParameters): Args {
  return compact({
    tag: body.tags,
    ...identityArgs(body.identity),
    distribute: body.properties?.distribute as Distributor[] | undefined,
    ...vmProfileArgs(body.properties?.vmProfile),
  });
}
