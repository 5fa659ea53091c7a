/**
 * The ownership marker: a tag the provider writes on every template it creates or adopts, holding a hash of the
 * resource's identity (project, stack and resource name) and a nonce of that create. It lets a plain `pulumi up`
 * take back a template its own resource created in a killed run (same identity), while `pulumi up --replace`, which
 * creates the replacement before deleting the old resource under the same name, stays safe: the replacement rewrites
 * the nonce, and the old resource's delete leaves a template whose marker is no longer its own alone.
 * The marker is hidden from arguments, outputs and diffs.
 */
import { createHash, randomBytes } from "node:crypto";

export const OWNER_TAG = "pulumi-imagebuilder-owner";
/** In checked inputs: the hash naming the resource. */
export const OWNER_KEY = "__owner";
/** In state: the marker this resource's create (or adoption) wrote. */
export const OWNERSHIP_KEY = "__ownership";

export const ownerOf = (seed: string): string => createHash("sha256").update(seed).digest("hex").slice(0, 32);

export const newMarker = (owner: string): string => `${owner}.${randomBytes(8).toString("hex")}`;

export const markerOf = (template: { tags?: Record<string, string> } | undefined): string | undefined =>
  template?.tags?.[OWNER_TAG];

/** Whether a template's marker names this resource (any create of it). */
export const ownedBy = (marker: string | undefined, owner: unknown): boolean =>
  typeof owner === "string" && marker !== undefined && marker.startsWith(`${owner}.`);

export const withMarker = (tags: Record<string, string> | undefined, marker: string): Record<string, string> => ({
  ...tags,
  [OWNER_TAG]: marker,
});

/** The user's tags: the marker removed (undefined when it was the only one). */
export function withoutMarker(tags: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!tags || !(OWNER_TAG in tags)) return tags;
  const rest = Object.fromEntries(Object.entries(tags).filter(([k]) => k !== OWNER_TAG));
  return Object.keys(rest).length > 0 ? rest : undefined;
}
