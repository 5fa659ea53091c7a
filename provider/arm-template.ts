import type { ImageTemplateInputs } from "./codecs/args";
import type { PropertyBag } from "./inputs";
import { READ_ONLY_ENVELOPE, READ_ONLY_IDENTITY_VALUE, READ_ONLY_PROPERTIES, type ReadOnlyMembers } from "./read-only";

/*
 * ARM/Bicep `Microsoft.VirtualMachineImages/imageTemplates` resources (API 2020-02-14 through 2025-10-01, the shape
 * Microsoft's quickstarts, the Bicep registry module and `az image builder show` use) → ImageTemplate arguments. The
 * resource envelope and `properties` are flattened the way the arguments are; nested members (source, customize,
 * distribute, ...) are kept as written, for `check` to validate. Whatever the converter cannot turn into a value
 * fails here, each with its path in the JSON and what to write instead.
 */

/** What the converter returns: ImageTemplate arguments except the resource group, which an ARM resource never holds. */
export type ArmTemplateArgs = Omit<ImageTemplateInputs, "resourceGroupName"> & ReadOnlyMembers;

const RESOURCE_TYPE = "Microsoft.VirtualMachineImages/imageTemplates";

/** `properties` members that keep their place as arguments, and the one the cmdlet renamed. */
const PROPERTY_ARGS: Record<string, string> = {
  source: "source",
  customize: "customize",
  validate: "validate",
  optimize: "optimize",
  distribute: "distribute",
  errorHandling: "errorHandling",
  stagingResourceGroup: "stagingResourceGroup",
  additionalDataDisks: "additionalDataDisks",
  autoRun: "autoRun",
  managedResourceTags: "managedResourceTags",
  buildTimeoutInMinutes: "buildTimeoutInMinute",
};

const VM_PROFILE_ARGS: Record<string, string> = {
  vmSize: "vmProfileVmsize",
  osDiskSizeGB: "vmProfileOsdiskSizeGb",
  userAssignedIdentities: "vmProfileUserAssignedIdentities",
};
const VNET_CONFIG_ARGS: Record<string, string> = {
  subnetId: "vnetConfigSubnetId",
  containerInstanceSubnetId: "vnetConfigContainerInstanceSubnetId",
  proxyVmSize: "vnetConfigProxyVmSize",
};
/** API 2019-05-01-preview named the build VM's subnet by parts; 2020-02-14 replaced them with one subnet id. */
const VNET_CONFIG_2019 = ["name", "subnetName", "resourceGroupName"];

/** Envelope members with no argument: Pulumi orders resources by their Outputs; comments are for readers. */
const ENVELOPE_IGNORED = ["apiVersion", "dependsOn", "comments"];

const isObject = (u: unknown): u is PropertyBag => typeof u === "object" && u !== null && !Array.isArray(u);
const show = (u: unknown) => JSON.stringify(u);

/** One problem of a template that cannot be converted. */
export interface ArmTemplateProblem {
  path: string;
  reason: string;
}

/** Thrown by argsFromArmTemplate; the message has one line per problem. */
export class ArmTemplateError extends Error {
  constructor(readonly problems: ArmTemplateProblem[]) {
    super(
      `The ARM template cannot be converted to ImageTemplate arguments:\n${problems.map((p) => `  ${p.path}: ${p.reason}`).join("\n")}`,
    );
    this.name = "ArmTemplateError";
  }
}

/** "[...]" is an ARM expression; "[[..." is the escaped literal "[...". */
const isExpression = (s: string) => s.startsWith("[") && !s.startsWith("[[") && s.endsWith("]");
const unescaped = (s: string) => (s.startsWith("[[") ? s.slice(1) : s);

const child = (path: string, key: string) =>
  !/^[A-Za-z_$][\w$]*$/.test(key) ? `${path}[${show(key)}]` : path === "" ? key : `${path}.${key}`;

/** The ImageTemplate argument a JSON path lands in (where the user sets the value in code instead). */
function argumentAt(path: string): string {
  const [top, second, third, fourth] = path.split(/[.[]/);
  if (top === "name") return "imageTemplateName";
  if (top === "tags") return "tag";
  if (top === "identity") return "identityUserAssignedIdentity";
  if (top !== "properties" || second === undefined) return top;
  if (second === "vmProfile" && third === "vnetConfig") return VNET_CONFIG_ARGS[fourth] ?? "vnetConfigSubnetId";
  if (second === "vmProfile") return VM_PROFILE_ARGS[third] ?? "vmProfileVmsize";
  return PROPERTY_ARGS[second] ?? second;
}

/** Every string (values and map keys) as plain JSON: unevaluated expressions are problems, escaped "[[" unescaped. */
function evaluated(value: unknown, path: string, problems: ArmTemplateProblem[]): unknown {
  const expression = (s: string, where: string) =>
    problems.push({
      path: where,
      reason: `is an unevaluated ARM expression (${s}); write its value instead, or leave it out of the JSON and set the ImageTemplate argument "${argumentAt(path)}" in the program`,
    });
  if (typeof value === "string") {
    if (isExpression(value)) expression(value, path);
    return unescaped(value);
  }
  if (Array.isArray(value)) return value.map((v, i) => evaluated(v, `${path}[${i}]`, problems));
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => {
      const at = child(path, k);
      if (isExpression(k)) expression(k, at);
      return [unescaped(k), evaluated(v, at, problems)];
    }),
  );
}

/** The one imageTemplates resource of a whole ARM template (`resources` as a list or, in languageVersion 2.0, a map). */
function pickResource(template: PropertyBag): { resource: PropertyBag; path: string } {
  const entries = Array.isArray(template.resources)
    ? template.resources.map((r, i): [string, unknown] => [`resources[${i}]`, r])
    : Object.entries(template.resources as PropertyBag).map(([k, r]): [string, unknown] => [child("resources", k), r]);
  const found = entries.filter(([, r]) => isObject(r) && String(r.type).toLowerCase() === RESOURCE_TYPE.toLowerCase());
  if (found.length !== 1) {
    throw new ArmTemplateError([
      {
        path: "resources",
        reason: `must hold exactly one ${RESOURCE_TYPE} resource (found ${found.length}); pass that resource itself`,
      },
    ]);
  }
  return { resource: found[0][1] as PropertyBag, path: found[0][0] };
}

function identityArgs(identity: unknown, problems: ArmTemplateProblem[]): PropertyBag {
  if (!isObject(identity)) {
    problems.push({ path: "identity", reason: "must be an object with type and userAssignedIdentities" });
    return {};
  }
  const args: PropertyBag = { identityType: identity.type };
  for (const key of Object.keys(identity)) {
    if (key !== "type" && key !== "userAssignedIdentities") {
      problems.push({
        path: `identity.${key}`,
        reason: "unknown member; an identity has type and userAssignedIdentities",
      });
    }
  }
  const uais = identity.userAssignedIdentities;
  if (uais === undefined) return args;
  if (!isObject(uais)) {
    problems.push({ path: "identity.userAssignedIdentities", reason: "must be a map from identity resource id to {}" });
    return args;
  }
  for (const [id, value] of Object.entries(uais)) {
    // The values are the service's (principalId, clientId): read-only, so nothing of them is kept.
    const extra = isObject(value)
      ? Object.keys(value).filter((k) => !(READ_ONLY_IDENTITY_VALUE as readonly string[]).includes(k))
      : [];
    for (const k of extra) {
      problems.push({ path: child(child("identity.userAssignedIdentities", id), k), reason: "unknown member" });
    }
  }
  args.identityUserAssignedIdentity = Object.keys(uais);
  return args;
}

function vmProfileArgs(vmProfile: unknown, problems: ArmTemplateProblem[]): PropertyBag {
  const path = "properties.vmProfile";
  if (!isObject(vmProfile)) {
    problems.push({ path, reason: "must be an object" });
    return {};
  }
  const args: PropertyBag = {};
  for (const [key, value] of Object.entries(vmProfile)) {
    if (key === "vnetConfig") Object.assign(args, vnetConfigArgs(value, `${path}.vnetConfig`, problems));
    else if (VM_PROFILE_ARGS[key]) args[VM_PROFILE_ARGS[key]] = value;
    else
      problems.push({
        path: `${path}.${key}`,
        reason: `unknown member; allowed: ${allowed(VM_PROFILE_ARGS)}, vnetConfig`,
      });
  }
  return args;
}

function vnetConfigArgs(vnetConfig: unknown, path: string, problems: ArmTemplateProblem[]): PropertyBag {
  if (!isObject(vnetConfig)) {
    problems.push({ path, reason: "must be an object" });
    return {};
  }
  const args: PropertyBag = {};
  const old = VNET_CONFIG_2019.filter((k) => vnetConfig[k] !== undefined);
  if (old.length > 0) {
    const part = (k: string) => (typeof vnetConfig[k] === "string" ? (vnetConfig[k] as string) : `<${k}>`);
    const subnetId = `/subscriptions/<subscription id>/resourceGroups/${part("resourceGroupName")}/providers/Microsoft.Network/virtualNetworks/${part("name")}/subnets/${part("subnetName")}`;
    problems.push({
      path: `${path}.${old.join("/")}`,
      reason: `API 2020-02-14 removed these (2019-05-01-preview) members; write "properties.vmProfile.vnetConfig": { "subnetId": "${subnetId}" } instead`,
    });
  }
  for (const [key, value] of Object.entries(vnetConfig)) {
    if (VNET_CONFIG_ARGS[key]) args[VNET_CONFIG_ARGS[key]] = value;
    else if (!VNET_CONFIG_2019.includes(key)) {
      problems.push({ path: `${path}.${key}`, reason: `unknown member; allowed: ${allowed(VNET_CONFIG_ARGS)}` });
    }
  }
  return args;
}

const allowed = (table: Record<string, string>) => Object.keys(table).join(", ");

function propertiesArgs(properties: unknown, problems: ArmTemplateProblem[]): PropertyBag {
  if (!isObject(properties)) {
    problems.push({ path: "properties", reason: "is required: the template's source, customize, distribute, ..." });
    return {};
  }
  const args: PropertyBag = {};
  for (const [key, value] of Object.entries(properties)) {
    const path = `properties.${key}`;
    // The service reports an unset staging resource group as "".
    if (key === "stagingResourceGroup" && value === "") continue;
    if (PROPERTY_ARGS[key]) args[PROPERTY_ARGS[key]] = value;
    else if (key === "vmProfile") Object.assign(args, vmProfileArgs(value, problems));
    // The service reports these; ImageTemplate accepts them, warns and ignores them.
    else if ((READ_ONLY_PROPERTIES as readonly string[]).includes(key)) args[key] = value;
    else if (key === "vnetConfig") {
      // Where a few 2019 preview templates put it.
      vnetConfigArgs(value, path, problems);
      problems.push({ path, reason: 'belongs in "properties.vmProfile.vnetConfig" (as { "subnetId": ... })' });
    } else {
      problems.push({
        path,
        reason: `unknown member of an image template's properties in API 2025-10-01; allowed: ${[...Object.keys(PROPERTY_ARGS), "vmProfile"].join(", ")}`,
      });
    }
  }
  const source = properties.source;
  if (isObject(source) && source.type === "ISO") {
    problems.push({
      path: "properties.source.type",
      reason:
        'ISO sources were removed from the API after 2019-05-01-preview; use the distribution\'s Marketplace image instead ({ "type": "PlatformImage", "publisher", "offer", "sku", "version", and "planInfo" for a bring-your-own-subscription image }) or a SharedImageVersion',
    });
  }
  return args;
}

/**
 * ImageTemplate arguments from an ARM/Bicep `Microsoft.VirtualMachineImages/imageTemplates` resource (or a whole ARM
 * template holding exactly one): `new ImageTemplate("web", { ...argsFromArmTemplate(json), resourceGroupName })`.
 * Read-only members the service reported are carried over for ImageTemplate to ignore with a warning; the envelope's
 * id/systemData, the identities' principalId/clientId, apiVersion, dependsOn and comments are dropped. A resource
 * `name` becomes `imageTemplateName`. Throws ArmTemplateError listing every member it cannot convert.
 */
export function argsFromArmTemplate(resourceOrTemplate: unknown): ArmTemplateArgs {
  if (!isObject(resourceOrTemplate)) {
    throw new ArmTemplateError([{ path: "(root)", reason: `must be a JSON object, got ${show(resourceOrTemplate)}` }]);
  }
  const { resource, path } =
    resourceOrTemplate.resources !== undefined
      ? pickResource(resourceOrTemplate)
      : { resource: resourceOrTemplate, path: "" };
  const problems: ArmTemplateProblem[] = [];
  const json = evaluated(resource, "", problems) as PropertyBag;

  const args: PropertyBag = {};
  for (const [key, value] of Object.entries(json)) {
    if (key === "type") {
      if (typeof value !== "string" || value.toLowerCase() !== RESOURCE_TYPE.toLowerCase()) {
        problems.push({ path: "type", reason: `must be "${RESOURCE_TYPE}" (got ${show(value)})` });
      }
    } else if (key === "name") args.imageTemplateName = value;
    else if (key === "location") args.location = value;
    else if (key === "tags") args.tag = value;
    else if (key === "identity") Object.assign(args, identityArgs(value, problems));
    else if (key === "properties") Object.assign(args, propertiesArgs(value, problems));
    else if (!ENVELOPE_IGNORED.includes(key) && !(READ_ONLY_ENVELOPE as readonly string[]).includes(key)) {
      problems.push({
        path: key,
        reason: `is not supported by the converter; an image template resource has ${["name", "location", "tags", "identity", "properties"].join(", ")}`,
      });
    }
  }
  if (problems.length > 0) {
    throw new ArmTemplateError(problems.map((p) => ({ ...p, path: path ? `${path}.${p.path}` : p.path })));
  }
  return args as ArmTemplateArgs;
}
