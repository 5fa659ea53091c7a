/**
 * A subscription's setup, for reproducing the most common first-run failures: not registered for
 * Microsoft.VirtualMachineImages (every ARM call answers 409 MissingSubscriptionRegistration), and the emulator's
 * principal without a role on it (403 AuthorizationFailed). Everything is registered and granted until the admin
 * API says otherwise.
 */
import type { EmulatorContext } from "./context";
import { ArmError, PROVIDER } from "./errors";

const unregistered = new WeakMap<EmulatorContext, Set<string>>();
const withoutRights = new WeakMap<EmulatorContext, Set<string>>();

function setMember(
  map: WeakMap<EmulatorContext, Set<string>>,
  ctx: EmulatorContext,
  key: string,
  member: boolean,
): void {
  const set = map.get(ctx) ?? new Set<string>();
  map.set(ctx, set);
  if (member) set.add(key);
  else set.delete(key);
}

const keyOf = (subscriptionId: string, namespace: string) => `${subscriptionId}/${namespace}`.toLowerCase();

/** Admin: `{ subscriptionId, namespace?, registered }` (namespace defaults to Microsoft.VirtualMachineImages). */
export function setRegistration(ctx: EmulatorContext, body: unknown): void {
  const b = (body ?? {}) as { subscriptionId?: unknown; namespace?: unknown; registered?: unknown };
  if (typeof b.subscriptionId !== "string" || typeof b.registered !== "boolean") {
    throw new Error("registration needs { subscriptionId: string, namespace?: string, registered: boolean }");
  }
  const namespace = typeof b.namespace === "string" ? b.namespace : PROVIDER;
  setMember(unregistered, ctx, keyOf(b.subscriptionId, namespace), !b.registered);
}

/** Admin: `{ subscriptionId, granted }`: whether the emulator's principal holds a role on the subscription. */
export function setRights(ctx: EmulatorContext, body: unknown): void {
  const b = (body ?? {}) as { subscriptionId?: unknown; granted?: unknown };
  if (typeof b.subscriptionId !== "string" || typeof b.granted !== "boolean") {
    throw new Error("rights need { subscriptionId: string, granted: boolean }");
  }
  setMember(withoutRights, ctx, b.subscriptionId.toLowerCase(), !b.granted);
}

/** Every subscription registered and granted again, as at start. */
export function resetSubscriptionSetup(ctx: EmulatorContext): void {
  unregistered.delete(ctx);
  withoutRights.delete(ctx);
}

export const hasRights = (ctx: EmulatorContext, subscriptionId: string): boolean =>
  !withoutRights.get(ctx)?.has(subscriptionId.toLowerCase());

/** Throws ARM's 409 when the subscription is not registered for Image Builder. */
export function checkRegistered(ctx: EmulatorContext, subscriptionId: string | undefined, location = "westus"): void {
  if (subscriptionId === undefined || !unregistered.get(ctx)?.has(keyOf(subscriptionId, PROVIDER))) return;
  throw new ArmError(
    409,
    "MissingSubscriptionRegistration",
    `The subscription is not registered for the resource type 'imageTemplates' in the location '${location}'. Please re-register for this provider in order to have access to this location. The subscription is not registered to use namespace '${PROVIDER}'. See https://aka.ms/rps-not-found for how to register subscriptions.`,
  );
}
