import { type PropertyBag, PROVIDER_KEY } from "../property-bag";
import { ARG_KEYS, type ArgKey, type ImageTemplateInputs } from "./codecs/args";
import { BUILD_OUTPUTS, OUTPUT_KEYS } from "./properties";

/*
 * The one owner of what a resource's property bag holds beside the user's arguments. The engine keeps one bag of
 * checked inputs and one of outputs per resource (the inputs echoed plus the computed members); the provider keeps its
 * own keys in both. Their serialized names are what state holds: never rename one.
 */

/** The provider's own keys that state keeps, by their serialized names. */
const HIDDEN = {
  /** Arguments the provider chose itself (the convention of Pulumi's bridged providers). */
  defaults: "__defaults",
  /** The resource name (autonaming, progress lines). */
  pulumiName: "__pulumiName",
  /** The hash naming the resource (ownership.ts), from the program-side identity. */
  owner: "__owner",
  /** The ownership marker this resource's create (or adoption) wrote on the template. */
  ownership: "__ownership",
  /**
   * The start of the run whose result create or update last recorded as the build it owed. A run started later is the
   * next owed build (an interrupted update's, or one the service started); refresh never moves it.
   */
  builtRunStart: "__builtRunStart",
  /**
   * The resource's URN as the program computed it when declaring it (the engine gives the provider none): progress
   * goes to that row, when this run's program declared it (build.ts, progressFor).
   */
  urn: "__urn",
  /** Seconds per phase of the resource's last successful builds (build-estimate.ts), for the estimate. */
  buildHistory: "__buildHistory",
} as const;

/** What the resource class sends to check only: check reads them and state never keeps them. */
const FOR_CHECK = {
  /** The program-side identity of the resource (project/stack/name): autonames are deterministic, the owner named. */
  autonameSeed: "__autonameSeed",
  /** The top-level arguments the program passed as secrets: check must not let the engine print their values. */
  secretKeys: "__secretKeys",
} as const;

/** The provider's keys of a bag, typed. */
export interface Hidden {
  defaults?: ArgKey[];
  pulumiName?: string;
  owner?: string;
  ownership?: string;
  builtRunStart?: string;
  urn?: string;
  buildHistory?: unknown;
}

/** What the program hands check beside its arguments. */
export interface FromProgram {
  pulumiName?: string;
  urn?: string;
  autonameSeed?: string;
  secretKeys: string[];
}

/** A bag split once, as the stages of a create or update hand it on. */
export interface Split {
  /** The user's arguments: only known argument keys, no nulls. */
  args: Partial<ImageTemplateInputs>;
  hidden: Hidden;
  /** The serialized provider, which a failed step's partial state must carry (the engine adds none on errors). */
  provider?: unknown;
}

/** A stored bag (inputs or outputs), read once. */
export interface Stored extends Split {
  /** The computed outputs: what the service last reported and the last build's outputs (buildPending apart). */
  computed: PropertyBag;
  /** True when a build the program asked for has not completed. */
  buildPending: boolean;
}

/** The outputs state carries from one step to the next; buildPending is decided again by each step. */
const COMPUTED_KEYS: readonly string[] = [
  ...OUTPUT_KEYS,
  ...Object.keys(BUILD_OUTPUTS).filter((k) => k !== "buildPending"),
];

const text = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** Splits a bag into the user's arguments, the provider's keys and the computed outputs. */
export function stateOf(bag: PropertyBag): Stored {
  const args: PropertyBag = {};
  for (const key of ARG_KEYS) if (bag[key] !== undefined && bag[key] !== null) args[key] = bag[key];
  const defaults = bag[HIDDEN.defaults];
  const hidden: Hidden = {
    defaults: Array.isArray(defaults) ? (defaults.filter((k) => typeof k === "string") as ArgKey[]) : undefined,
    pulumiName: text(bag[HIDDEN.pulumiName]),
    owner: text(bag[HIDDEN.owner]),
    ownership: text(bag[HIDDEN.ownership]),
    builtRunStart: text(bag[HIDDEN.builtRunStart]),
    urn: text(bag[HIDDEN.urn]),
    buildHistory: bag[HIDDEN.buildHistory],
  };
  const computed = Object.fromEntries(COMPUTED_KEYS.filter((k) => bag[k] !== undefined).map((k) => [k, bag[k]]));
  return {
    args: args as Partial<ImageTemplateInputs>,
    hidden,
    computed,
    buildPending: bag.buildPending === true,
    provider: bag[PROVIDER_KEY],
  };
}

/** The provider's keys as state holds them (what is unset is left out). */
export function hiddenBag(hidden: Hidden): PropertyBag {
  const bag: PropertyBag = {};
  for (const [name, key] of Object.entries(HIDDEN)) {
    const value = hidden[name as keyof Hidden];
    if (value !== undefined) bag[key] = value;
  }
  return bag;
}

/** `bag` with some of the provider's keys set. */
export const withHidden = (bag: PropertyBag, hidden: Hidden): PropertyBag => ({ ...bag, ...hiddenBag(hidden) });

/** What the bag stores of a checked input: the arguments and the provider's keys. */
export const echoed = ({ args, hidden }: Split): PropertyBag => ({ ...args, ...hiddenBag(hidden) });

/** The serialized provider, which the engine adds to no property bag of a failed step (destroy needs it). */
export const withProvider = (bag: PropertyBag, from: Split): PropertyBag => ({ ...bag, [PROVIDER_KEY]: from.provider });

/** The program-side identity of a resource: the same for both faces (dynamic resource, plugin), so a stack can move. */
export const resourceSeed = (project: string, stack: string, name: string): string => `${project}/${stack}/${name}`;

/** What the resource class adds to the arguments it passes: read by check, which keeps the name and URN. */
export function programBag(p: { [K in keyof FromProgram]: unknown }): PropertyBag {
  return {
    [HIDDEN.pulumiName]: p.pulumiName,
    [FOR_CHECK.autonameSeed]: p.autonameSeed,
    [FOR_CHECK.secretKeys]: p.secretKeys,
    [HIDDEN.urn]: p.urn,
  };
}

/** The program's keys of the bag check receives. */
export function fromProgram(news: PropertyBag): FromProgram {
  const secretKeys = news[FOR_CHECK.secretKeys];
  return {
    pulumiName: text(news[HIDDEN.pulumiName]),
    urn: text(news[HIDDEN.urn]),
    autonameSeed: text(news[FOR_CHECK.autonameSeed]),
    secretKeys: Array.isArray(secretKeys) ? secretKeys.map(String) : [],
  };
}

/** Whether check leaves a key of its input out of the arguments it validates (the engine's and the program's keys). */
export const isProgramKey = (key: string): boolean => PROGRAM_KEYS.has(key);
const PROGRAM_KEYS = new Set<string>([
  PROVIDER_KEY,
  HIDDEN.defaults,
  HIDDEN.pulumiName,
  HIDDEN.urn,
  ...Object.values(FOR_CHECK),
]);
