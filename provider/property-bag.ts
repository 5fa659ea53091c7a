/** The engine's view of a resource's inputs or outputs: plain JSON-like members by name. */
export type PropertyBag = Record<string, unknown>;

/** A JSON object (not null, not a list). */
export const isRecord = (u: unknown): u is PropertyBag => typeof u === "object" && u !== null && !Array.isArray(u);

/** Drops undefined members so the result is a valid protobuf Struct and compares cleanly. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
