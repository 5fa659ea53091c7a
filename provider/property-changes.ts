import type * as pulumi from "@pulumi/pulumi";
import type { PropertyBag } from "./property-bag";

/*
 * Pulumi's detailed diff: how each property a diff decided on changes. A provider plugin reports it to the engine
 * (`pulumi preview --diff` shows it per property); the dynamic provider host has no place for it and drops it.
 */

/** How one property changes. */
export interface PropertyChange {
  kind: "add" | "update" | "delete";
  /** Whether this property's change replaces the resource. */
  replace: boolean;
}

export type DetailedDiff = Record<string, PropertyChange>;

/** A diff with its per-property detail. */
export interface DetailedDiffResult extends pulumi.dynamic.DiffResult {
  detailedDiff: DetailedDiff;
}

const holds = (bag: PropertyBag, key: string) => bag[key] !== undefined && bag[key] !== null;

/**
 * The detail of a decided diff: each key it updates or replaces, as an addition (absent from `olds`), a deletion
 * (absent from `news`) or an update.
 */
export function detailOf(
  olds: PropertyBag,
  news: PropertyBag,
  updates: readonly string[],
  replaces: readonly string[],
): DetailedDiff {
  const change = (key: string, replace: boolean): [string, PropertyChange] => {
    const kind = !holds(olds, key) ? "add" : !holds(news, key) ? "delete" : "update";
    return [key, { kind, replace }];
  };
  return Object.fromEntries([...updates.map((k) => change(k, false)), ...replaces.map((k) => change(k, true))]);
}
