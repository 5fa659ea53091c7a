/** The engine's view of a resource's inputs or outputs: plain JSON-like members by name. */
export type PropertyBag = Record<string, unknown>;

/** Drops undefined members so the result is a valid protobuf Struct and compares cleanly. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
