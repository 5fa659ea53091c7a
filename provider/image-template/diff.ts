import { ARG_KEYS, type ArgKey, type ImageTemplateInputs } from "./codecs/args";
import { isUnknown } from "../codecs/combinators";
import { containsUnknown, sortedJson } from "../json";
import { isRecord, type PropertyBag } from "../property-bag";
import { ARGUMENTS, type Comparison, identityTypeOf, memberAt } from "./properties";

export type Classification = "update" | "replace" | "none";
/** A provider setting (build) is recorded by an update; a create-only switch (adoptExisting) is no change. */
export const classify = (key: ArgKey): Classification => {
  const { change } = ARGUMENTS[key];
  return change === "setting" ? "update" : change;
};

/** The in-place changes the service must apply (PATCH), i.e. without the provider's own settings. */
export const patchKeys = (updates: readonly ArgKey[]): ArgKey[] =>
  updates.filter((k) => ARGUMENTS[k].change === "update");

const fold = (value: string, compare: Comparison | undefined): string =>
  compare === "region" ? value.replace(/\s+/g, "").toLowerCase() : compare === "armId" ? value.toLowerCase() : value;

/**
 * A value in canonical form by the property table's rule for its path ("distribute[].targetRegions[].name"): defaults and empties
 * dropped, case and region spelling folded, sets sorted. Items of a list take the list's comparison.
 */
export function canonical(value: unknown, path: string): unknown {
  if (isUnknown(value)) return value;
  if (value === null || value === undefined) return undefined;
  const member = memberAt(path);
  if (member?.compare === "json") return sortedJson(value);
  if (Array.isArray(value)) {
    const items = value.map((v) => canonical(v, `${path}[]`)).filter((v) => v !== undefined);
    if (member?.set) items.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    return items.length > 0 ? items : undefined;
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((k) => [k, canonical((value as PropertyBag)[k], `${path}.${k}`)] as const)
      .filter(([, v]) => v !== undefined);
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
  }
  if (member && "default" in member && member.default === value) return undefined;
  const compare = path.endsWith("[]") ? memberAt(path.slice(0, -2))?.compare : member?.compare;
  return typeof value === "string" ? fold(value, compare) : value;
}

/**
 * `value` (the service's side) without the answers the service gives where `reference` (the program's side) leaves a
 * member out (absent or at its default): a computed member whatever its value (the checksum of a downloaded file), a
 * member at its default or empty (a restart command "", empty artifact tags). Lists are matched item by item; a
 * member the program set stays, so a value the service changed is still drift.
 */
export function withoutAnswers(value: unknown, reference: unknown, path: string): unknown {
  if (isUnknown(value) || isUnknown(reference) || memberAt(path)?.compare === "json") return value;
  if (Array.isArray(value)) {
    return Array.isArray(reference) ? value.map((v, i) => withoutAnswers(v, reference[i], `${path}[]`)) : value;
  }
  if (!isRecord(value) || !isRecord(reference)) return value;
  const kept: PropertyBag = {};
  for (const [k, v] of Object.entries(value)) {
    const at = `${path}.${k}`;
    // Left out: absent, or at its default (an empty checksum asks the service to compute it, as absent does).
    if (canonical(reference[k], at) !== undefined) kept[k] = withoutAnswers(v, reference[k], at);
    else if (!memberAt(at)?.computed && canonical(v, at) !== undefined) kept[k] = v;
  }
  return kept;
}

/** The arguments `args` without the service's answers to what the `program`'s arguments leave out (see withoutAnswers). */
export function argsWithoutAnswers(args: PropertyBag, program: PropertyBag): PropertyBag {
  const kept: PropertyBag = {};
  for (const [k, v] of Object.entries(args)) {
    if (program[k] !== undefined) kept[k] = withoutAnswers(v, program[k], k);
    else if (canonical(v, k) !== undefined) kept[k] = v;
  }
  return kept;
}

/**
 * Canonical form of each argument of a bag (other keys are not read); the identity type is the effective one (derived
 * when omitted).
 */
export function canonicalArgs(args: PropertyBag): Partial<Record<ArgKey, unknown>> {
  const withIdentity: PropertyBag = { ...args };
  if (!isUnknown(args.identityType) && !isUnknown(args.identityUserAssignedIdentity)) {
    withIdentity.identityType = identityTypeOf(args as Partial<ImageTemplateInputs>);
  }
  return Object.fromEntries(ARG_KEYS.map((k) => [k, canonical(withIdentity[k], k)]));
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Argument keys whose value differs between two sets of arguments (unknown new values always differ). What the
 * service filled in where the program leaves a member out is no difference.
 */
export function changedKeys(olds: PropertyBag, news: PropertyBag): ArgKey[] {
  const a = canonicalArgs(argsWithoutAnswers(olds, news));
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
 * Pulumi `diff`, pure, of two bags already split (state.ts): the stored OUTPUTS and the checked inputs. Only argument
 * keys are compared, so computed outputs and service-filled defaults never show as changes.
 */
export function diffOf(
  before: { args: Partial<ImageTemplateInputs> },
  after: { args: Partial<ImageTemplateInputs>; hidden: { defaults?: ArgKey[] } },
): InputDiff {
  const changed = changedKeys(before.args, after.args).filter((k) => classify(k) !== "none");
  const replaces = changed.filter((k) => classify(k) === "replace");
  const updates = changed.filter((k) => classify(k) === "update");
  // Two templates of one name cannot coexist: delete first when the replacement keeps the user's fixed name in the
  // same resource group. An autonamed replacement gets a fresh name (the engine re-runs check without olds).
  const nameFixed = !(after.hidden.defaults ?? []).includes("imageTemplateName");
  const address: ArgKey[] = ["subscriptionId", "resourceGroupName", "imageTemplateName"];
  const sameAddress = address.every((k) => !changed.includes(k) || containsUnknown(after.args[k]));
  return {
    changes: changed.length > 0,
    replaces,
    updates,
    deleteBeforeReplace: replaces.length > 0 && nameFixed && sameAddress,
  };
}
