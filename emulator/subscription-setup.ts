/**
 * A subscription's setup, for reproducing the most common first-run failures: not registered for
 * Microsoft.VirtualMachineImages (every ARM call answers 409 MissingSubscriptionRegistration), and the emulator's
 * principal without a role on it (403 AuthorizationFailed). Everything is registered and granted until the admin
 * API says otherwise.
 */
import { errors } from "./errors";
import { PROVIDER } from "./service";

const keyOf = (subscriptionId: string, namespace: string) => `${subscriptionId}/${namespace}`.toLowerCase();

export class SubscriptionSetup {
  /** `subscription/namespace` pairs not registered, lower-cased. */
  private readonly unregistered = new Set<string>();
  /** Subscriptions the principal holds no role on, lower-cased. */
  private readonly withoutRights = new Set<string>();

  /** Admin: `{ subscriptionId, namespace?, registered }` (namespace defaults to Microsoft.VirtualMachineImages). */
  setRegistration(body: unknown): void {
    const b = (body ?? {}) as { subscriptionId?: unknown; namespace?: unknown; registered?: unknown };
    if (typeof b.subscriptionId !== "string" || typeof b.registered !== "boolean") {
      throw new Error("registration needs { subscriptionId: string, namespace?: string, registered: boolean }");
    }
    const key = keyOf(b.subscriptionId, typeof b.namespace === "string" ? b.namespace : PROVIDER);
    if (b.registered) this.unregistered.delete(key);
    else this.unregistered.add(key);
  }

  /** Admin: `{ subscriptionId, granted }`: whether the emulator's principal holds a role on the subscription. */
  setRights(body: unknown): void {
    const b = (body ?? {}) as { subscriptionId?: unknown; granted?: unknown };
    if (typeof b.subscriptionId !== "string" || typeof b.granted !== "boolean") {
      throw new Error("rights need { subscriptionId: string, granted: boolean }");
    }
    if (b.granted) this.withoutRights.delete(b.subscriptionId.toLowerCase());
    else this.withoutRights.add(b.subscriptionId.toLowerCase());
  }

  /** Every subscription registered and granted again, as at start. */
  reset(): void {
    this.unregistered.clear();
    this.withoutRights.clear();
  }

  hasRights(subscriptionId: string): boolean {
    return !this.withoutRights.has(subscriptionId.toLowerCase());
  }

  /** Throws ARM's 409 when the subscription is not registered for Image Builder. */
  checkRegistered(subscriptionId: string | undefined, location = "westus"): void {
    if (subscriptionId !== undefined && this.unregistered.has(keyOf(subscriptionId, PROVIDER))) {
      throw errors.missingSubscriptionRegistration(location);
    }
  }
}
