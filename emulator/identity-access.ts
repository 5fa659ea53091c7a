/**
 * What a template's user-assigned identity may not read, for reproducing the service's failed provisioning: a PUT
 * naming such a resource (its source image, a distribution target, its staging group or subnet) still answers 201,
 * then the operation ends Failed with `Unauthorized` and the template is left `Failed` (real-service-answers.md, "A
 * failed provisioning"). Every identity may read everything until the admin API says otherwise.
 */
import type { Json, JsonObject } from "./model";

/** The service's text for a resource the template's identity may not read, as recorded. */
export const notAuthorizedMessage = (resourceId: string) =>
  `Not authorized to access the resource: ${resourceId}. Please check the user assigned identity has the correct permissions. For more details, go to https://aka.ms/azvmimagebuilderts.`;

/** Every ARM resource id the template's properties name, in the order they appear (source first). */
function namedResources(value: Json | undefined, found: string[] = []): string[] {
  if (typeof value === "string" && /^\/?subscriptions\/[^/]+\//i.test(value)) found.push(value);
  else if (Array.isArray(value)) for (const v of value) namedResources(v, found);
  else if (value !== null && typeof value === "object") for (const v of Object.values(value)) namedResources(v, found);
  return found;
}

/** The first resource the template names, as it names it; undefined when it names none. */
export const firstNamedResource = (properties: JsonObject): string | undefined => namedResources(properties)[0];

export class IdentityAccess {
  /** identity id → scopes it may not read (lower-cased: ARM ids compare ignoring case). */
  private readonly denied = new Map<string, Set<string>>();

  /** Admin: `{ identityId, resourceId, canRead }`; a scope denied covers every resource under it. */
  set(body: unknown): void {
    const b = (body ?? {}) as { identityId?: unknown; resourceId?: unknown; canRead?: unknown };
    if (typeof b.identityId !== "string" || typeof b.resourceId !== "string" || typeof b.canRead !== "boolean") {
      throw new Error("identity access needs { identityId: string, resourceId: string, canRead: boolean }");
    }
    const identity = b.identityId.toLowerCase();
    const scopes = this.denied.get(identity) ?? new Set<string>();
    this.denied.set(identity, scopes);
    if (b.canRead) scopes.delete(b.resourceId.toLowerCase());
    else scopes.add(b.resourceId.toLowerCase());
  }

  /** Every identity may read everything again, as at start. */
  reset(): void {
    this.denied.clear();
  }

  /** The first resource the template names that its identity may not read, as the template spells it. */
  unreadableResource(identity: JsonObject, properties: JsonObject): string | undefined {
    if (this.denied.size === 0) return undefined;
    const identities = Object.keys((identity.userAssignedIdentities as JsonObject | undefined) ?? {});
    const scopes = identities.flatMap((id) => [...(this.denied.get(id.toLowerCase()) ?? [])]);
    const covered = (id: string) => {
      const key = `/${id.toLowerCase().replace(/^\//, "")}`;
      return scopes.some((scope) => key === scope || key.startsWith(`${scope}/`));
    };
    return namedResources(properties).find(covered);
  }
}
