import { ARG_KEYS, type ArgKey } from "./codecs/args";
import { isUnknown } from "./codecs/combinators";
import { argsOf, defaultedKeys, type PropertyBag } from "./inputs";
import { identityOf } from "./mapping";

/**
 * Arguments the service changes in place through PATCH (ImageTemplateUpdateParameters: tags, identity,
 * properties.vmProfile, properties.distribute). vnetConfig.proxyVmSize is inside vmProfile but not in the release
 * notes' list of updatable members, so it replaces. Everything else replaces: the service answers a PUT to an
 * existing template with 409 Conflict.
 */
export const IN_PLACE: ReadonlySet<ArgKey> = new Set<ArgKey>([
  "tag",
  "identityType",
  "identityUserAssignedIdentity",
  "distribute",
  "vmProfileVmsize",
  "vmProfileOsdiskSizeGb",
  "vmProfileUserAssignedIdentities",
  "vnetConfigSubnetId",
  "vnetConfigContainerInstanceSubnetId",
]);

/** Arguments that only steer the provider (not the template): a change to them alone is no change. */
export const PROVIDER_ONLY: ReadonlySet<ArgKey> = new Set<ArgKey>(["adoptExisting"]);

/**
 * Provider settings stored in state and changed by an update without touching the template (no PATCH): the build
 * settings. A changed build trigger makes that update run a build (see build-plan.ts).
 */
export const PROVIDER_SETTINGS: ReadonlySet<ArgKey> = new Set<ArgKey>(["build"]);

export type Classification = "update" | "replace" | "none";
export const classify = (key: ArgKey): Classification =>
  PROVIDER_ONLY.has(key) ? "none" : IN_PLACE.has(key) || PROVIDER_SETTINGS.has(key) ? "update" : "replace";

/** The in-place changes the service must apply (PATCH), i.e. without the provider's own settings. */
export const patchKeys = (updates: readonly ArgKey[]): ArgKey[] => updates.filter((k) => IN_PLACE.has(k));

// Members whose value equals the service default when omitted (spec `default`s and documented defaults). The service
// fills some of these in its responses, so they must compare equal to "absent".
const DEFAULTS: Record<string, unknown> = {
  sha256Checksum: "",
  runElevated: false,
  runAsSystem: false,
  updateLimit: 0,
  searchCriteria: "",
  restartCheckCommand: "",
  excludeFromLatest: false,
  continueDistributeOnFailure: false,
  sourceValidationOnly: false,
  replicaCount: 1,
  major: -1,
  uri: "",
  onCustomizerError: "cleanup",
  onValidationError: "cleanup",
  buildTimeoutInMinute: 0,
  vmProfileOsdiskSizeGb: 0,
  vmProfileVmsize: "",
  vnetConfigProxyVmSize: "",
};
// ARM ids and names compare case-insensitively.
const CASE_INSENSITIVE = new Set([
  "imageId",
  "imageVersionId",
  "galleryImageId",
  "vnetConfigSubnetId",
  "vnetConfigContainerInstanceSubnetId",
  "stagingResourceGroup",
  "identityUserAssignedIdentity",
  "vmProfileUserAssignedIdentities",
  "subscriptionId",
  "resourceGroupName",
  "imageTemplateName",
]);
// Regions: "West US" and "westus" are the same place.
const REGIONS = new Set(["location", "replicationRegions", "targetRegions.name"]);
// Lists whose order carries no meaning.
const SETS = new Set(["identityUserAssignedIdentity", "vmProfileUserAssignedIdentities", "replicationRegions"]);

/** Object keys sorted at every depth: two spellings of one JSON value compare equal. */
export function sortedJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedJson);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortedJson((value as PropertyBag)[k])]),
  );
}

/** Build settings with their defaults dropped; the trigger is compared as opaque JSON (no case or default folding). */
function canonicalBuild(value: PropertyBag): unknown {
  const settings = {
    when: value.when === "never" ? undefined : value.when,
    trigger: sortedJson(value.trigger),
    waitForCompletion: value.waitForCompletion === true ? undefined : value.waitForCompletion,
    timeoutMinutes: value.timeoutMinutes,
    cancelOnTimeout: value.cancelOnTimeout === false ? undefined : value.cancelOnTimeout,
    logs: value.logs === "onFailure" ? undefined : value.logs,
  };
  const set = Object.entries(settings).filter(([, v]) => v !== undefined && v !== null);
  return set.length > 0 ? Object.fromEntries(set) : undefined;
}

/** A value in canonical form: defaults and empties dropped, case and region spelling folded, sets sorted. */
export function canonical(value: unknown, key = "", parent = ""): unknown {
  const scoped = parent ? `${parent}.${key}` : key;
  if (isUnknown(value)) return value;
  if (key === "build" && parent === "" && typeof value === "object" && value !== null) {
    return canonicalBuild(value as PropertyBag);
  }
  if (Array.isArray(value)) {
    const items = value.map((v) => canonical(v, key, parent)).filter((v) => v !== undefined);
    if (SETS.has(key)) items.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    return items.length > 0 ? items : undefined;
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((k) => [k, canonical((value as PropertyBag)[k], k, key)] as const)
      .filter(([, v]) => v !== undefined);
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
  }
  if (value === null || (key in DEFAULTS && DEFAULTS[key] === value)) return undefined;
  if (typeof value === "string" && (REGIONS.has(key) || REGIONS.has(scoped)))
    return value.replace(/\s+/g, "").toLowerCase();
  if (typeof value === "string" && CASE_INSENSITIVE.has(key)) return value.toLowerCase();
  return value;
}

/** Canonical form of each argument; the identity type is the effective one (derived when omitted). */
export function canonicalArgs(bag: PropertyBag): Partial<Record<ArgKey, unknown>> {
  const args = argsOf(bag);
  const withIdentity: PropertyBag = { ...args };
  if (!isUnknown(args.identityType) && !isUnknown(args.identityUserAssignedIdentity)) {
    withIdentity.identityType = identityOf(args).type;
  }
  return Object.fromEntries(ARG_KEYS.map((k) => [k, canonical(withIdentity[k], k)]));
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
export const containsUnknown = (v: unknown): boolean =>
  isUnknown(v) || (typeof v === "object" && v !== null && Object.values(v).some(containsUnknown));

/** Argument keys whose value differs between two property bags (unknown new values always differ). */
export function changedKeys(olds: PropertyBag, news: PropertyBag): ArgKey[] {
  const a = canonicalArgs(olds);
  const b = canonicalArgs(news);
  return ARG_KEYS.filter((k) => containsUnknown(b[k]) || !same(a[k], b[k]));
}

export interface InputDiff {
  changes: boolean;
  replaces: ArgKey[];
  /** In-place (PATCH) changes. */
  updates: ArgKey[];
  deleteBeforeReplace: boolean;
}

/**
 * Pulumi `diff`, pure. `olds` are the stored OUTPUTS (inputs echoed plus computed members); only argument keys are
 * compared, so computed outputs and service-filled defaults never show as changes.
 */
export function diffInputs(olds: PropertyBag, news: PropertyBag): InputDiff {
  const changed = changedKeys(olds, news).filter((k) => classify(k) !== "none");
  const replaces = changed.filter((k) => classify(k) === "replace");
  const updates = changed.filter((k) => classify(k) === "update");
  // Two templates of one name cannot coexist: delete first when the replacement keeps the user's fixed name in the
  // same resource group. An autonamed replacement gets a fresh name (the engine re-runs check without olds).
  const nameFixed = !defaultedKeys(news).includes("imageTemplateName");
  const address: ArgKey[] = ["subscriptionId", "resourceGroupName", "imageTemplateName"];
  const sameAddress = address.every((k) => !changed.includes(k) || containsUnknown(news[k]));
  return {
    changes: changed.length > 0,
    replaces,
    updates,
    deleteBeforeReplace: replaces.length > 0 && nameFixed && sameAddress,
  };
}
