import { createHash } from "node:crypto";
import { type Failure, failuresOf, isUnknown, UNKNOWN } from "../codecs/combinators";
import { ARG_KEYS, type ArgKey, ImageTemplateArgsCodec, type ImageTemplateInputs } from "./codecs/args";
import { canonicalArgs } from "./diff";
import { containsUnknown } from "../json";
import { ARGUMENTS, providerOnly } from "./properties";
import { withoutReadOnly } from "./read-only";
import { subscriptionFromEnv } from "../azure/client";
import { subscriptionGuid } from "../codecs/ids";
import type { PropertyBag } from "../property-bag";
import { azureLimitFailures } from "./limits";
import { shapeFailures } from "../codecs/shape";
import { ownerOf } from "./ownership";
import { type FromProgram, fromProgram, hiddenBag, isProgramKey, stateOf } from "./state";

export interface CheckEnvironment {
  /** Environment for the subscription default (read at call time by the caller). */
  env: Record<string, string | undefined>;
}

export interface CheckOutcome {
  inputs: PropertyBag;
  failures: Failure[];
}

const NAME_MAX = 64;

/** Pulumi-style autoname: the resource name (made valid for the API) plus "-" and a random suffix. */
export function autoname(pulumiName: string, suffix: string): string {
  const prefix = pulumiName.replace(/[^A-Za-z0-9-_.]/g, "-").slice(0, NAME_MAX - suffix.length - 1) || "template";
  return `${prefix}-${suffix}`;
}

/**
 * The autoname suffix: a hash of the program-side seed (project/stack/resource name) and the template's canonical
 * arguments (name and provider-only settings excluded). `pulumi preview` and `pulumi up` check the same inputs, so
 * they agree on the name; a replacement (re-checked without olds, some argument changed) gets a new one. UNKNOWN while
 * an argument is not known yet (preview of a program whose inputs come from resources still to be created).
 */
export function autonameSuffix(seed: string, inputs: PropertyBag): string {
  const canon = canonicalArgs(inputs);
  const defining = ARG_KEYS.filter((k) => k !== "imageTemplateName" && !providerOnly(k));
  const hashed = Object.fromEntries(defining.map((k) => [k, canon[k]]));
  if (containsUnknown(hashed)) return UNKNOWN;
  return createHash("sha256").update(seed).update("\n").update(JSON.stringify(hashed)).digest("hex").slice(0, 7);
}

const known = (v: unknown): boolean => v !== undefined && v !== null && !isUnknown(v);
const has = (v: unknown): boolean => known(v) && !(Array.isArray(v) && v.length === 0);
/** An argument set to something other than what its absence means (the table's service default). */
const setApart = (args: Partial<ImageTemplateInputs>, key: ArgKey): boolean =>
  known(args[key]) && args[key] !== ARGUMENTS[key].default;

/** Rules across members that the codecs cannot express; each names the dotted path and the rule. */
function crossFieldFailures(args: Partial<ImageTemplateInputs>, creating: boolean): Failure[] {
  const failures: Failure[] = [];
  const ids = args.identityUserAssignedIdentity;
  const type = args.identityType;
  if (!isUnknown(ids) && !isUnknown(type)) {
    const count = Array.isArray(ids) ? ids.length : 0;
    const property = "identityUserAssignedIdentity";
    if (type === "UserAssigned" && count !== 1) {
      failures.push({
        property,
        reason: `must hold exactly one identity id when identityType is "UserAssigned" (got ${count})`,
      });
    } else if (type === "None" && count > 0) {
      failures.push({ property, reason: 'must be empty when identityType is "None"' });
    } else if (type === undefined && count > 1) {
      failures.push({ property, reason: `the service accepts exactly one user-assigned identity (got ${count})` });
    } else if (creating && count === 0) {
      // The service creates templates only with their one user-assigned identity; "None" is reachable only by PATCH.
      failures.push({
        property,
        reason:
          "is required to create a template: the service needs exactly one user-assigned identity (a Microsoft.ManagedIdentity/userAssignedIdentities resource id)",
      });
    }
  }

  const scriptSteps: [string, unknown][] = [
    ...(Array.isArray(args.customize) ? args.customize.map((s, i): [string, unknown] => [`customize[${i}]`, s]) : []),
    ...(Array.isArray(args.validate?.inVMValidations)
      ? args.validate.inVMValidations.map((s, i): [string, unknown] => [`validate.inVMValidations[${i}]`, s])
      : []),
  ];
  for (const [path, step] of scriptSteps) {
    if (typeof step !== "object" || step === null) continue;
    const s = step as PropertyBag;
    if ((s.type === "Shell" || s.type === "PowerShell") && !isUnknown(s.scriptUri) && !isUnknown(s.inline)) {
      if (has(s.scriptUri) === has(s.inline)) {
        failures.push({ property: path, reason: `${s.type} step needs exactly one of "scriptUri" or "inline"` });
      }
    }
    if (s.type === "PowerShell" && s.runAsSystem === true && s.runElevated === false) {
      failures.push({ property: `${path}.runAsSystem`, reason: "can only be true when runElevated is true" });
    }
    if (s.type === "PowerShell" && s.runAsSystem === true && s.runElevated === undefined) {
      failures.push({ property: `${path}.runElevated`, reason: "must be true when runAsSystem is true" });
    }
  }

  if (known(args.vnetConfigContainerInstanceSubnetId)) {
    if (args.vnetConfigSubnetId === undefined) {
      failures.push({ property: "vnetConfigContainerInstanceSubnetId", reason: "requires vnetConfigSubnetId" });
    } else if (known(args.vnetConfigSubnetId)) {
      const vnetOf = (id: string) => id.toLowerCase().replace(/\/subnets\/[^/]+$/, "");
      if (vnetOf(args.vnetConfigSubnetId!) !== vnetOf(args.vnetConfigContainerInstanceSubnetId!)) {
        failures.push({
          property: "vnetConfigContainerInstanceSubnetId",
          reason: "must be a subnet of the same virtual network as vnetConfigSubnetId",
        });
      }
    }
    if (setApart(args, "vnetConfigProxyVmSize")) {
      failures.push({
        property: "vnetConfigProxyVmSize",
        reason: "must not be set with vnetConfigContainerInstanceSubnetId (no proxy VM is deployed then)",
      });
    }
  }
  if (setApart(args, "vnetConfigProxyVmSize") && args.vnetConfigSubnetId === undefined) {
    failures.push({ property: "vnetConfigProxyVmSize", reason: "requires vnetConfigSubnetId" });
  }

  const build = args.build;
  if (build && !isUnknown(build) && build.trigger !== undefined && (build.when ?? "never") === "never") {
    failures.push({
      property: "build.trigger",
      reason: 'has no effect while build.when is "never": set build.when to "onCreate" or "onChange"',
    });
  }

  const seen = new Map<string, number>();
  (Array.isArray(args.distribute) ? args.distribute : []).forEach((d, i) => {
    if (typeof d !== "object" || d === null) return;
    const name = (d as PropertyBag).runOutputName;
    if (typeof name === "string" && !isUnknown(name)) {
      const first = seen.get(name.toLowerCase());
      if (first !== undefined) {
        failures.push({
          property: `distribute[${i}].runOutputName`,
          reason: `must be unique; distribute[${first}] already uses "${name}"`,
        });
      } else seen.set(name.toLowerCase(), i);
    }
    if ((d as PropertyBag).type === "SharedImage") {
      const sig = d as PropertyBag;
      if (has(sig.targetRegions) && has(sig.replicationRegions)) {
        failures.push({
          property: `distribute[${i}].replicationRegions`,
          reason: "must not be set together with targetRegions (replicationRegions is deprecated; use targetRegions)",
        });
      }
      if (known(sig.storageAccountType) && !has(sig.replicationRegions)) {
        failures.push({
          property: `distribute[${i}].storageAccountType`,
          reason: "can only be set with replicationRegions; set targetRegions[].storageAccountType instead",
        });
      }
    }
  });
  return failures;
}

const argumentOf = (property: string) => /^[^.[]*/.exec(property)![0];

/**
 * The engine prints a failing property's value next to the failure, decrypted even when it is a secret. A failure in
 * a secret argument (named by the resource: FromProgram.secretKeys) is therefore thrown as an error of our own instead,
 * naming the property and "[secret]", with every string of the secret value masked in the reasons too. `args` are
 * the arguments shape.ts let through: one it refused is not walked again, and its reason quotes none of its strings.
 */
function refuseSecretFailures(failures: Failure[], { secretKeys }: FromProgram, args: PropertyBag): void {
  const secret = failures.filter((f) => secretKeys.includes(argumentOf(f.property)));
  if (secret.length === 0) return;
  const strings: string[] = [];
  const collect = (v: unknown): void => {
    if (typeof v === "string" && v !== "") strings.push(v);
    else if (typeof v === "object" && v !== null) Object.values(v).forEach(collect);
  };
  secretKeys.forEach((k) => collect(args[k]));
  const mask = (text: string) => strings.reduce((t, s) => t.split(s).join("[secret]"), text);
  const lines = secret.map((f) => `  property ${f.property} value [secret] has a problem: ${mask(f.reason)}`);
  throw new Error(`Invalid arguments (the values are secret and not shown):\n${lines.join("\n")}`);
}

/**
 * Pulumi `check`: validates the new inputs (no network), resolves the template name and subscription so that state
 * records them. `olds` are the previous INPUTS (empty on create and when the engine re-checks for a replacement).
 */
export function checkInputs(olds: PropertyBag, news: PropertyBag, environment: CheckEnvironment): CheckOutcome {
  const user: PropertyBag = {};
  const program = fromProgram(news);
  // First, without recursion: every check after it recurses, which is safe once no argument nests too deep.
  const shape = shapeFailures(news);
  // Read-only members of a pasted template are dropped here (the resource class warns about them).
  for (const [key, value] of Object.entries(withoutReadOnly(news))) {
    if (!shape.unexamined.has(key) && !isProgramKey(key) && value !== undefined && value !== null) user[key] = value;
  }
  const inputs: PropertyBag = { ...user };
  const defaults: ArgKey[] = [];
  const failures: Failure[] = [...shape.failures];
  // Pulumi ESC writes the subscription as its resource id: state and the API take the GUID.
  if (typeof user.subscriptionId === "string") inputs.subscriptionId = subscriptionGuid(user.subscriptionId);
  if (user.subscriptionId === undefined) {
    const fromEnv = subscriptionFromEnv(environment.env);
    if (fromEnv) inputs.subscriptionId = fromEnv;
    else {
      failures.push({
        property: "subscriptionId",
        reason:
          "is required: set subscriptionId, the AZURE_SUBSCRIPTION_ID (or ARM_SUBSCRIPTION_ID) environment variable or azure-native:subscriptionId",
      });
    }
  }
  // azure-native:location (or ARM_LOCATION), as azure-native defaults its resources' location.
  if (user.location === undefined && environment.env.ARM_LOCATION) inputs.location = environment.env.ARM_LOCATION;
  const { pulumiName } = program;
  if (user.imageTemplateName === undefined) {
    const oldName = olds.imageTemplateName;
    if (typeof oldName === "string" && (stateOf(olds).hidden.defaults ?? []).includes("imageTemplateName")) {
      inputs.imageTemplateName = oldName;
    } else {
      const seed = program.autonameSeed ?? pulumiName;
      const suffix = autonameSuffix(seed ?? "", inputs);
      inputs.imageTemplateName = isUnknown(suffix) ? UNKNOWN : autoname(pulumiName ?? "template", suffix);
    }
    defaults.push("imageTemplateName");
  }
  const decoded = ImageTemplateArgsCodec.validate(inputs, []);
  // What shape.ts refused is reported once, not again as an unknown or a missing property.
  const refused = (f: Failure) =>
    shape.unexamined.has(argumentOf(f.property)) || shape.failures.some((x) => x.property === f.property);
  if (decoded._tag === "Left") failures.push(...failuresOf(decoded.left).filter((f) => !refused(f)));
  // Olds without a name: a create, or the engine re-checking for a replacement (which creates too).
  const creating = typeof olds.imageTemplateName !== "string";
  const { args } = stateOf(inputs);
  failures.push(...crossFieldFailures(args, creating).filter((f) => !refused(f)));
  const reported = new Set(failures.map((f) => f.property));
  failures.push(...azureLimitFailures(args).filter((f) => !reported.has(f.property)));
  refuseSecretFailures(failures, program, user);
  // The name is kept so create/update can name the resource in their progress lines.
  const hidden = hiddenBag({
    defaults: defaults.length > 0 ? defaults : undefined,
    pulumiName,
    urn: program.urn,
    owner: program.autonameSeed === undefined ? undefined : ownerOf(program.autonameSeed),
  });
  return { inputs: { ...inputs, ...hidden }, failures };
}
