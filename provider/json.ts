import { isUnknown } from "./codecs/combinators";
import type { PropertyBag } from "./property-bag";

/* JSON values as check, diff and the build settings compare them. */

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

/** Whether a value holds, at any depth, a value the engine does not know yet (preview). */
export const containsUnknown = (v: unknown): boolean =>
  isUnknown(v) || (typeof v === "object" && v !== null && Object.values(v).some(containsUnknown));
