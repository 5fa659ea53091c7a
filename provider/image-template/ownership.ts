/**
 * The ownership marker: a tag the provider writes on every template it creates or adopts, holding a hash of the
 * resource's identity (project, stack and resource name) and a nonce of that create. It lets a plain `pulumi up`
 * take back a template its own resource created in a killed run (same identity), while `pulumi up --replace`, which
 * creates the replacement before deleting the old resource under the same name, stays safe: the replacement rewrites
 * the nonce, and the old resource's delete leaves a template whose marker is no longer its own alone.
 * The marker is hidden from arguments, outputs and diffs. Every later write (PATCH, run, cancel, DELETE) first compares
 * the template's marker with the one this resource recorded (`standingOf`), so a template another stack or program
 * holds is never changed or taken over.
 */
import { createHash, randomBytes } from "node:crypto";

export const OWNER_TAG = "pulumi-imagebuilder-owner";

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

/**
 * How a template's marker stands against the one a resource recorded:
 * - own: the recorded marker, or none recorded (state written before markers existed: nothing to compare);
 * - sibling: another create of this same resource (a replacement under the same name, or a killed run's create);
 * - foreign: another resource, stack or program created or adopted it (the template this resource made is gone);
 * - unmarked: the marker was removed (a tag edit) or the template was re-created outside Pulumi: not provably ours.
 */
export type Standing = "own" | "sibling" | "foreign" | "unmarked";

export function standingOf(marker: string | undefined, recorded: unknown): Standing {
  if (recorded === undefined || marker === recorded) return "own";
  if (marker === undefined) return "unmarked";
  if (typeof recorded === "string" && ownedBy(marker, recorded.split(".")[0])) return "sibling";
  return "foreign";
}

/** The command that puts a removed marker back (the marker is a hash: printing it names no stack). */
export const restoreCommand = (resourceId: string, recorded: unknown): string =>
  `az tag update --operation merge --resource-id ${resourceId} --tags ${OWNER_TAG}=${String(recorded)}`;

/**
 * Why a write must not be sent to a template that is not this resource's (foreign or unmarked), or undefined. The
 * marker is a hash: the message can say that another owner holds the template, never which one.
 */
export function refusal(
  standing: Standing,
  template: { label: string; id: string },
  recorded: unknown,
  what: string,
): string | undefined {
  if (standing === "foreign") {
    return `${template.label} is owned by another stack or program: its ${OWNER_TAG} tag is not this resource's (the template was deleted and created again, or adopted, elsewhere). Nothing was sent (${what}). To take it over, set adoptExisting: true on this resource for one pulumi up; to leave it to its owner, choose another imageTemplateName.`;
  }
  if (standing === "unmarked") {
    return `${template.label} no longer carries this resource's ${OWNER_TAG} tag (a tag edit removed it, or the template was created again outside Pulumi), so it may not be this stack's. Nothing was sent (${what}). If it is this stack's, put the tag back (${restoreCommand(template.id, recorded)}) or set adoptExisting: true on this resource for this pulumi up (the template is checked against the program and the tag written back); otherwise choose another imageTemplateName.`;
  }
  return undefined;
}
