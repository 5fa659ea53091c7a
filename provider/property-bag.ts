/** The engine's view of a resource's inputs or outputs: plain JSON-like members by name. */
export type PropertyBag = Record<string, unknown>;

/** Where the engine's dynamic provider host keeps a resource's serialized provider, in its inputs and outputs. */
export const PROVIDER_KEY = "__provider";

/**
 * Whether the stored serialized provider is not the one the program declares now (state of a pre-release git install
 * names module paths this version no longer has). The engine keeps the stored outputs on a step without changes, and
 * refresh and destroy load the provider from them: only an update records the program's. Absent on either side (a
 * test calling the operations directly) is no difference.
 */
export function providerMoved(olds: PropertyBag, news: PropertyBag): boolean {
  const before = olds[PROVIDER_KEY];
  const after = news[PROVIDER_KEY];
  return typeof before === "string" && typeof after === "string" && before !== after;
}

/** A JSON object (not null, not a list). */
export const isRecord = (u: unknown): u is PropertyBag => typeof u === "object" && u !== null && !Array.isArray(u);

/** Drops undefined members so the result is a valid protobuf Struct and compares cleanly. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
