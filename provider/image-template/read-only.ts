import { isUnknown } from "../codecs/combinators";
import { isRecord, type PropertyBag } from "../property-bag";

/*
 * Members API 2025-10-01 marks `readOnly`: the service sets them and reports them, so they show up in templates users
 * paste back (`az image builder show`, the portal's JSON view). The one list of them; a unit test derives the same sets
 * from reference/imagebuilder-2025-10-01/openapi.json, so an API change cannot leave it stale.
 */

/** `ImageTemplateProperties`' read-only members (the arguments flatten `properties`, so they sit at the top level). */
export const READ_ONLY_PROPERTIES = [
  "provisioningState",
  "provisioningError",
  "lastRunStatus",
  "exactStagingResourceGroup",
] as const;

/** Read-only members of the source kinds (`PlatformImage` and `SharedImageVersion` report the resolved version). */
export const READ_ONLY_SOURCE = ["exactVersion"] as const;

/** Read-only members of the resource envelope (ARM's TrackedResource) and of each user-assigned identity's value. */
export const READ_ONLY_ENVELOPE = ["id", "name", "type", "systemData"] as const;
export const READ_ONLY_IDENTITY_VALUE = ["principalId", "clientId"] as const;

/** What a pasted template may carry besides the arguments: accepted, ignored, named in a warning. */
export type ReadOnlyMembers = { [K in (typeof READ_ONLY_PROPERTIES)[number]]?: unknown };

/** The read-only members present in a bag of ImageTemplate arguments, as property paths. */
export function readOnlyMembersIn(args: PropertyBag): string[] {
  const found: string[] = READ_ONLY_PROPERTIES.filter((k) => args[k] !== undefined && args[k] !== null);
  const source = args.source;
  if (isRecord(source))
    found.push(...READ_ONLY_SOURCE.filter((k) => source[k] !== undefined).map((k) => `source.${k}`));
  return found;
}

/** The arguments without their read-only members: what check validates, state records and Azure receives. */
export function withoutReadOnly(args: PropertyBag): PropertyBag {
  const kept: PropertyBag = { ...args };
  for (const key of READ_ONLY_PROPERTIES) delete kept[key];
  const source = args.source;
  if (isRecord(source) && !isUnknown(source) && READ_ONLY_SOURCE.some((k) => k in source)) {
    const copy = { ...source };
    for (const key of READ_ONLY_SOURCE) delete copy[key];
    kept.source = copy;
  }
  return kept;
}

/** The one-line warning naming the ignored members. */
export function readOnlyWarning(paths: readonly string[]): string {
  return `ignoring read-only ${paths.join(", ")}: the service sets these, so they are never sent or compared; remove them from the template to silence this warning`;
}
