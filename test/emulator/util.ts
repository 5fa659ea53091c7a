/** Shared helpers for the emulator's own tests: raw ARM requests with a token, polling, template bodies. */
import * as https from "node:https";
import { mock } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import type { RunningEmulator } from "../../emulator";
import { requestText } from "../../emulator/https-client";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator";

export const API = "api-version=2025-10-01";

/** Arbitrary ARM JSON as tests inspect it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyJson = any;

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: AnyJson;
}

export interface Arm {
  token: string;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<RawResponse>;
  close(): void;
}

/** Raw HTTPS against the emulator, trusting its certificate explicitly, with a token from its token endpoint. */
export async function arm(emu: RunningEmulator & { caPem: string }): Promise<Arm> {
  const agent = new https.Agent({ ca: emu.caPem, keepAlive: true });
  const send = async (method: string, url: string, payload: string | undefined, headers: Record<string, string>) => {
    const res = await requestText(agent, method, url, headers, payload);
    return {
      status: res.status,
      headers: res.headers,
      body: res.text ? JSON.parse(res.text) : undefined,
    } as RawResponse;
  };
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: emu.clientId,
    client_secret: emu.clientSecret,
    scope: "https://management.azure.com/.default",
  }).toString();
  const tokenResponse = await send("POST", `${emu.url}/${emu.tenantId}/oauth2/v2.0/token`, form, {
    "Content-Type": "application/x-www-form-urlencoded",
  });
  const token = String(tokenResponse.body.access_token);
  return {
    token,
    request: (method, path, body, headers = {}) => {
      const url = path.startsWith("https://") ? path : `${emu.url}${path}`;
      const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
      return send(method, url, payload, {
        Authorization: `Bearer ${token}`,
        ...(payload !== undefined ? { "Content-Type": "application/json" } : {}),
        ...headers,
      });
    },
    close: () => agent.destroy(),
  };
}

export function templatePath(subscriptionId: string, rg: string, name: string, suffix = ""): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${rg}/providers/Microsoft.VirtualMachineImages/imageTemplates/${name}${suffix}?${API}`;
}

/** A valid create body; `properties` entries in `extra` are merged in. */
export function templateBody(
  subscriptionId: string,
  extra: { properties?: Record<string, unknown>; [k: string]: unknown } = {},
) {
  const { properties, ...rest } = extra;
  return {
    location: "westus",
    identity: {
      type: "UserAssigned",
      userAssignedIdentities: {
        [`/subscriptions/${subscriptionId}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/builder`]:
          {},
      },
    },
    properties: {
      source: { type: "PlatformImage", publisher: "Canonical", offer: "ubuntu", sku: "server", version: "latest" },
      customize: [{ type: "Shell", name: "hello", inline: ["echo hello"] }],
      distribute: [
        {
          type: "ManagedImage",
          runOutputName: "managed",
          imageId: `/subscriptions/${subscriptionId}/resourceGroups/rg/providers/Microsoft.Compute/images/out`,
          location: "westus",
        },
      ],
      ...properties,
    },
    ...rest,
  };
}

/** Polls `probe` until `done` holds (or throws after `timeoutMs`). */
export async function waitFor<T>(probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (done(v)) return v;
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms; last value ${JSON.stringify(v)}`);
    await delay(20);
  }
}

/** Polls an Azure-AsyncOperation monitor until it leaves InProgress; returns the final status body. */
export async function settle(
  a: Arm,
  response: RawResponse,
): Promise<{ status: string; error?: { code: string; message: string } }> {
  const monitor = String(response.headers["azure-asyncoperation"]);
  return (
    await waitFor(
      () => a.request("GET", monitor),
      (r) => r.body?.status !== "InProgress",
    )
  ).body;
}

/**
 * Holds the in-process emulator's clock (Date only; timers keep running) still, so states that last a few
 * milliseconds (Creating, Running, Canceling) are observed whatever the machine's load; `advance` moves it on.
 * `at` (default: now) may lie in the past, e.g. a fixed instant whose dates a test writes out.
 */
export function frozenClock(at = Date.now()): { advance(ms: number): void; release(): Promise<void> } {
  mock.timers.enable({ apis: ["Date"], now: at });
  return {
    advance: (ms) => mock.timers.tick(ms),
    /** Back to the real clock once it has caught up with the frozen one: time never runs backwards. */
    async release() {
      const reached = Date.now();
      mock.timers.reset();
      await delay(Math.max(0, reached - Date.now()));
    },
  };
}

/** A describe block's emulator and raw ARM client: started before its tests, stopped after them (also on failure). */
export function emulatorSuite(): { emu: TestEmulator; a: Arm } {
  const suite = {} as { emu: TestEmulator; a: Arm };
  before(async () => {
    suite.emu = await startTestEmulator();
    suite.a = await arm(suite.emu);
  });
  after(async () => {
    suite.a?.close();
    await suite.emu?.stop();
  });
  return suite;
}
