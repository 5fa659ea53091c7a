import type { PropertyBag } from "../property-bag";
import { ARG_KEYS, type ArgKey, type ImageTemplateInputs } from "./codecs/args";

/**
 * Keys the provider adds next to the user's arguments. `__defaults` lists arguments the provider chose itself (the
 * convention of Pulumi's bridged providers), `__pulumiName` carries the resource name (autonaming, progress lines),
 * `__autonameSeed` the program-side identity of the resource (project/stack/name) that makes autonames deterministic.
 */
export const DEFAULTS_KEY = "__defaults";
export const PULUMI_NAME_KEY = "__pulumiName";
export const AUTONAME_SEED_KEY = "__autonameSeed";

/** The seed of AUTONAME_SEED_KEY: the same for both faces (dynamic resource, plugin), so a stack can move between them. */
export const resourceSeed = (project: string, stack: string, name: string): string => `${project}/${stack}/${name}`;
/**
 * The resource's URN as the program computed it when declaring it (the engine gives the provider none): progress goes
 * to that row. Hidden from diff; used only when this run's program declared it (operations.ts, progressFor).
 */
export const URN_KEY = "__urn";
/** Seconds per phase of the resource's last successful builds (build-estimate.ts), kept in state for the estimate. */
export const BUILD_HISTORY_KEY = "__buildHistory";
/** The top-level arguments the program passed as secrets: check must not let the engine print their values. */
export const SECRET_KEYS_KEY = "__secretKeys";

/** The user's arguments out of a property bag (inputs or stored outputs): only known argument keys, no nulls. */
export function argsOf(bag: PropertyBag): Partial<ImageTemplateInputs> {
  const args: PropertyBag = {};
  for (const key of ARG_KEYS) {
    if (bag[key] !== undefined && bag[key] !== null) args[key] = bag[key];
  }
  return args as Partial<ImageTemplateInputs>;
}

export function defaultedKeys(bag: PropertyBag): ArgKey[] {
  const value = bag[DEFAULTS_KEY];
  return Array.isArray(value) ? (value.filter((k) => typeof k === "string") as ArgKey[]) : [];
}
