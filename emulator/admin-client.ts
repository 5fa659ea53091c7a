import * as https from "node:https";
import type { IssueOptions } from "./auth";
import type { FaultRule } from "./faults";
import { requestText } from "./https-client";
import type { RequestLogEntry, Timing } from "./context";
import { ADMIN_TOKEN_HEADER } from "./limits";

/** Resources as ARM would return them (GET shape), plus operation statuses. */
export interface AdminState {
  templates: Record<string, unknown>[];
  triggers: Record<string, unknown>[];
  operations: { name: string; status: string; startTime: string; endTime?: string; error?: unknown }[];
}

/** What a minted token claims (the admin API takes the token issuer's own options). */
export type TokenRequest = IssueOptions;

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
}

/**
 * Client of the emulator's admin API (`{url}/_emulator/`). It sends the admin token (from startEmulator's result or the
 * CLI's ready line), not an ARM token; TLS is verified against the emulator's certificate, passed explicitly so the
 * client works in any process.
 */
export class EmulatorAdmin {
  private readonly agent: https.Agent;

  constructor(
    readonly url: string,
    caPem: string | Buffer,
    private readonly adminToken: string,
  ) {
    this.agent = new https.Agent({ ca: caPem, keepAlive: true });
  }

  /** Deletes all resources and operations, clears faults and the request log. */
  reset(): Promise<void> {
    return this.call("POST", "/reset");
  }

  state(): Promise<AdminState> {
    return this.call("GET", "/state");
  }

  /** ARM and token requests received since the last reset/clear (admin calls are not logged). */
  requests(): Promise<RequestLogEntry[]> {
    return this.call("GET", "/requests");
  }

  clearRequests(): Promise<void> {
    return this.call("DELETE", "/requests");
  }

  injectFault(rule: FaultRule): Promise<void> {
    return this.call("POST", "/faults", rule);
  }

  /** Rules not yet used up, with their remaining counts. */
  faults(): Promise<(FaultRule & { remaining: number })[]> {
    return this.call("GET", "/faults");
  }

  clearFaults(): Promise<void> {
    return this.call("DELETE", "/faults");
  }

  /**
   * Marks a subscription (un)registered for a resource provider namespace (default Microsoft.VirtualMachineImages):
   * unregistered, every ARM call in it answers 409 MissingSubscriptionRegistration.
   */
  setRegistration(subscriptionId: string, registered: boolean, namespace?: string): Promise<void> {
    return this.call("PUT", "/registrations", { subscriptionId, registered, namespace });
  }

  /** Grants or takes away the emulator principal's role on a subscription: without it, ARM calls answer 403 AuthorizationFailed. */
  setRights(subscriptionId: string, granted: boolean): Promise<void> {
    return this.call("PUT", "/rights", { subscriptionId, granted });
  }

  /**
   * Whether a user-assigned identity may read a resource (or every resource under a scope): a template whose identity
   * may not read a resource it names fails provisioning as the service's does (PUT 201, operation Failed with
   * Unauthorized, template Failed). Everything is readable until told otherwise.
   */
  setIdentityAccess(identityId: string, resourceId: string, canRead: boolean): Promise<void> {
    return this.call("PUT", "/identity-access", { identityId, resourceId, canRead });
  }

  /** Changes timing knobs at run time; affects operations started afterwards. */
  setTiming(timing: Partial<Timing>): Promise<Timing> {
    return this.call("PATCH", "/timing", timing);
  }

  /**
   * Moves the emulator's clock forward (kept across restarts; reset puts it back): long-running operations and
   * builds due by then are done, so a test decides when the service finishes instead of waiting for it.
   */
  advanceClock(ms: number): Promise<{ now: string; offsetMs: number }> {
    return this.call("POST", "/clock", { advanceMs: ms });
  }

  /** Mints an ARM access token directly (e.g. expired, or for another subscription), for auth tests. */
  issueToken(request: TokenRequest = {}): Promise<IssuedToken> {
    return this.call("POST", "/token", request);
  }

  /**
   * Registers what `uri` serves: a step downloading it gets the SHA-256 of `contents` as its computed checksum, and a
   * build whose step gives another checksum fails at that step.
   */
  registerFile(uri: string, contents: string | Buffer): Promise<void> {
    return this.call("PUT", "/files", { uri, base64: Buffer.from(contents).toString("base64") });
  }

  /** Writes a template (GET shape: location, identity, tags, properties incl. provisioningState) or trigger as-is. */
  putRaw(resourceId: string, body: Record<string, unknown>): Promise<void> {
    return this.call("PUT", `/resources${resourceId}`, body);
  }

  deleteRaw(resourceId: string): Promise<void> {
    return this.call("DELETE", `/resources${resourceId}`);
  }

  /** Closes kept-alive connections so the caller's process can exit. */
  close(): void {
    this.agent.destroy();
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = {
      [ADMIN_TOKEN_HEADER]: this.adminToken,
      ...(payload ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) } : {}),
    };
    const res = await requestText(this.agent, method, `${this.url}/_emulator${path}`, headers, payload);
    if (res.status >= 400) throw new Error(`emulator admin ${method} ${path} failed with ${res.status}: ${res.text}`);
    return (res.text ? JSON.parse(res.text) : undefined) as T;
  }
}
