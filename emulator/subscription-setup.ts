/**
 * A subscription's setup, for reproducing the most common first-run failures: not registered for
 * Microsoft.VirtualMachineImages (every ARM call answers 409 MissingSubscriptionRegistration), and the emulator's
 * principal without a role on it (403 AuthorizationFailed). Everything is registered and granted until the admin
 * API says otherwise.
 */
import type { EmulatorCore } from "./core";
import { ArmError, PROVIDER } from "./errors";

const unregistered = new WeakMap<EmulatorCore, Set<string>>();
const withoutRights = new WeakMap<EmulatorCore, Set<string>>();

function setMember(map: WeakMap<EmulatorCore, Set<string>>, emu: EmulatorCore, key: string, member: boolean): void {
  const set = map.get(emu) ?? new Set<string>();
  map.set(emu, set);
  if (member) set.add(key);
  else set.delete(key);
}

const keyOf = (subscriptionId: string, namespace: string) => `${subscriptionId}/${namespace}`.toLowerCase();

/** Admin: `{ subscriptionId, namespace?, registered }` (namespace defaults to Microsoft.VirtualMachineImages). */
export function setRegistration(emu: EmulatorCore, body: unknown): void {
  const b = (body ?? {}) as { subscriptionId?: unknown; namespace?: unknown; registered?: unknown };
  if (typeof b.subscriptionId !== "string" || typeof b.registered !== "boolean") {
    throw new Error("registration needs { subscriptionId: string, namespace?: string, registered: boolean }");
  }
  const namespace = typeof b.namespace === "string" ? b.namespace : PROVIDER;
  setMember(unregistered, emu, keyOf(b.subscriptionId, namespace), !b.registered);
}

/** Admin: `{ subscriptionId, granted }`: whether the emulator's principal holds a role on the subscription. */
export function setRights(emu: EmulatorCore, body: unknown): void {
  const b = (body ?? {}) as { subscriptionId?: unknown; granted?: unknown };
  if (typeof b.subscriptionId !== "string" || typeof b.granted !== "boolean") {
    throw new Error("rights need { subscriptionId: string, granted: boolean }");
  }
  setMember(withoutRights, emu, b.subscriptionId.toLowerCase(), !b.granted);
}

export const hasRights = (emu: EmulatorCore, subscriptionId: string): boolean =>
  !withoutRights.get(emu)?.has(subscriptionId.toLowerCase());

/** Throws ARM's 409 when the subscription is not registered for Image Builder. */
export function checkRegistered(emu: EmulatorCore, subscriptionId: string | undefined, location = "westus"): void {
  if (subscriptionId === undefined || !unregistered.get(emu)?.has(keyOf(subscriptionId, PROVIDER))) return;
  throw new ArmError(
    409,
    "MissingSubscriptionRegistration",
    `The subscription is not registered for the resource type 'imageTemplates' in the location '${location}'. Please re-register for this provider in order to have access to this location. The subscription is not registered to use namespace '${PROVIDER}'. See https://aka.ms/rps-not-found for how to register subscriptions.`,
  );
}
