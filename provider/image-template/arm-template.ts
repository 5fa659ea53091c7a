import type { ImageTemplateInputs } from "./codecs/args";
import { ARG_ENTRIES, ARGUMENTS } from "./properties";
import { isRecord, type PropertyBag } from "../property-bag";
import { READ_ONLY_ENVELOPE, READ_ONLY_IDENTITY_VALUE, READ_ONLY_PROPERTIES, type ReadOnlyMembers } from "./read-only";
import { BOUNDS } from "../codecs/bounds";
import { shapeFailures } from "../codecs/shape";

/*
 * ARM/Bicep `Microsoft.VirtualMachineImages/imageTemplates` resources (API 2020-02-14 through 2025-10-01, the shape
 * Microsoft's quickstarts, the Bicep registry module and `az image builder show` use) → ImageTemplate arguments. The
 * resource envelope and `properties` are flattened by the property table's ARM path of each argument; nested members
 * (source, customize, distribute, ...) are kept as written, for `check` to validate. Whatever the converter cannot turn into a value
 * fails here, each with its path in the JSON and what to write instead.
 */

/** What the converter returns: ImageTemplate arguments except the resource group, which an ARM resource never holds. */
export type ArmTemplateArgs = Omit<ImageTemplateInputs, "resourceGroupName"> & ReadOnlyMembers;

const RESOURCE_TYPE = "Microsoft.VirtualMachineImages/imageTemplates";

/** Each argument's ARM path (from the property table), and the objects on the way to them. */
const ARM_PATHS = new Map(ARG_ENTRIES.filter(([, a]) => a.arm).map(([k, a]) => [a.arm!, k]));
const CONTAINERS = new Set(
  [...ARM_PATHS.keys()].flatMap((p) =>
    p
      .split(".")
      .slice(0, -1)
      .map((_, i, parts) => parts.slice(0, i + 1).join(".")),
  ),
);
/** API 2019-05-01-preview named the build VM's subnet by parts; 2020-02-14 replaced them with one subnet id. */
const VNET_CONFIG_2019 = ["name", "subnetName", "resourceGroupName"];

/** Envelope members with no argument: Pulumi orders resources by their Outputs; comments are for readers. */
const ENVELOPE_IGNORED = ["apiVersion", "dependsOn", "comments"];

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
  if (path === "name") return "imageTemplateName";
  const parts = path.replace(/\[[^\]]*\]/g, "").split(".");
  for (let n = parts.length; n > 0; n--) {
    const key = ARM_PATHS.get(parts.slice(0, n).join("."));
    if (key) return key;
  }
  return path;
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
  if (!isRecord(value)) return value;
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
  const found = entries.filter(([, r]) => isRecord(r) && String(r.type).toLowerCase() === RESOURCE_TYPE.toLowerCase());
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

/** The members the API has below `path`: argument paths and the objects that hold them. */
const membersBelow = (path: string) =>
  [...ARM_PATHS.keys(), ...CONTAINERS]
    .filter((p) =>
      path === "" ? !p.includes(".") : p.startsWith(`${path}.`) && !p.slice(path.length + 1).includes("."),
    )
    .map((p) => p.slice(path === "" ? 0 : path.length + 1));

/** A list of ids from ARM's {id: {}} map; the values are the service's (principalId, clientId), read-only. */
function mapKeys(map: PropertyBag, path: string, problems: ArmTemplateProblem[]): string[] {
  for (const [id, value] of Object.entries(map)) {
    for (const k of isRecord(value) ? Object.keys(value) : []) {
      if (!(READ_ONLY_IDENTITY_VALUE as readonly string[]).includes(k)) {
        problems.push({ path: child(child(path, id), k), reason: "unknown member" });
      }
    }
  }
  return Object.keys(map);
}

/** The 2019 vnetConfig members, with the one subnet id that replaced them spelt out. */
function vnetConfig2019(vnetConfig: PropertyBag, path: string): ArmTemplateProblem | undefined {
  const old = VNET_CONFIG_2019.filter((k) => vnetConfig[k] !== undefined);
  if (old.length === 0) return undefined;
  const part = (k: string) => (typeof vnetConfig[k] === "string" ? (vnetConfig[k] as string) : `<${k}>`);
  const subnetId = `/subscriptions/<subscription id>/resourceGroups/${part("resourceGroupName")}/providers/Microsoft.Network/virtualNetworks/${part("name")}/subnets/${part("subnetName")}`;
  return {
    path: `${path}.${old.join("/")}`,
    reason: `API 2020-02-14 removed these (2019-05-01-preview) members; write "properties.vmProfile.vnetConfig": { "subnetId": "${subnetId}" } instead`,
  };
}

/**
 * Takes the arguments out of the object at `path` (the resource, or an object on the way to an argument's ARM path,
 * per the property table) and reports what has no argument.
 */
function collect(value: unknown, path: string, args: PropertyBag, problems: ArmTemplateProblem[]): void {
  if (!isRecord(value)) {
    problems.push({ path: path || "(root)", reason: "must be an object" });
    return;
  }
  if (path.endsWith("vnetConfig")) {
    const old = vnetConfig2019(value, path);
    if (old) problems.push(old);
  }
  for (const [key, member] of Object.entries(value)) {
    const at = child(path, key);
    const arg = ARM_PATHS.get(at);
    // The service reports an unset staging resource group as "".
    if (at === "properties.stagingResourceGroup" && member === "") continue;
    if (arg) args[arg] = ARGUMENTS[arg].mapKeys && isRecord(member) ? mapKeys(member, at, problems) : member;
    else if (CONTAINERS.has(at)) collect(member, at, args, problems);
    else if (at === "name") args.imageTemplateName = member;
    else if (at === "type") {
      if (typeof member !== "string" || member.toLowerCase() !== RESOURCE_TYPE.toLowerCase()) {
        problems.push({ path: at, reason: `must be "${RESOURCE_TYPE}" (got ${show(member)})` });
      }
    } else if (path === "properties" && (READ_ONLY_PROPERTIES as readonly string[]).includes(key)) {
      // The service reports these; ImageTemplate accepts them, warns and ignores them.
      args[key] = member;
    } else if (path === "" && [...ENVELOPE_IGNORED, ...READ_ONLY_ENVELOPE].includes(key)) continue;
    else if (path.endsWith("vnetConfig") && VNET_CONFIG_2019.includes(key)) continue;
    else if (at === "properties.vnetConfig") {
      // Where a few 2019 preview templates put it.
      const old = isRecord(member) ? vnetConfig2019(member, at) : undefined;
      if (old) problems.push(old);
      problems.push({ path: at, reason: 'belongs in "properties.vmProfile.vnetConfig" (as { "subnetId": ... })' });
    } else {
      const allowed = path === "" ? ["type", "name", ...membersBelow("")] : membersBelow(path);
      problems.push({ path: at, reason: `unknown member in API 2025-10-01; allowed: ${allowed.join(", ")}` });
    }
  }
}

/**
 * ImageTemplate arguments from an ARM/Bicep `Microsoft.VirtualMachineImages/imageTemplates` resource (or a whole ARM
 * template holding exactly one): `new ImageTemplate("web", { ...argsFromArmTemplate(json), resourceGroupName })`.
 * Read-only members the service reported are carried over for ImageTemplate to ignore with a warning; the envelope's
 * id/systemData, the identities' principalId/clientId, apiVersion, dependsOn and comments are dropped. A resource
 * `name` becomes `imageTemplateName`. Throws ArmTemplateError listing every member it cannot convert.
 */
export function argsFromArmTemplate(resourceOrTemplate: unknown): ArmTemplateArgs {
  if (!isRecord(resourceOrTemplate)) {
    throw new ArmTemplateError([{ path: "(root)", reason: `must be a JSON object, got ${show(resourceOrTemplate)}` }]);
  }
  const { resource, path } =
    resourceOrTemplate.resources !== undefined
      ? pickResource(resourceOrTemplate)
      : { resource: resourceOrTemplate, path: "" };
  // The converter recurses: a resource nested deeper than an argument may be (one level more, for `properties`), or
  // with over-long member names, is refused first. check bounds the arguments' strings and lists.
  const shape = shapeFailures(resource, BOUNDS.depth.max + 1);
  if (shape.failures.length > 0) {
    throw new ArmTemplateError(
      shape.failures.map((f) => ({ path: path ? `${path}.${f.property}` : f.property, reason: f.reason })),
    );
  }
  const problems: ArmTemplateProblem[] = [];
  const json = evaluated(resource, "", problems) as PropertyBag;
  const args: PropertyBag = {};
  collect(json, "", args, problems);
  const source = (json.properties as PropertyBag | undefined)?.source;
  if (isRecord(source) && source.type === "ISO") {
    problems.push({
      path: "properties.source.type",
      reason:
        'ISO sources were removed from the API after 2019-05-01-preview; use the distribution\'s Marketplace image instead ({ "type": "PlatformImage", "publisher", "offer", "sku", "version", and "planInfo" for a bring-your-own-subscription image }) or a SharedImageVersion',
    });
  }
  if (problems.length > 0) {
    throw new ArmTemplateError(problems.map((p) => ({ ...p, path: path ? `${path}.${p.path}` : p.path })));
  }
  return args as ArmTemplateArgs;
}
