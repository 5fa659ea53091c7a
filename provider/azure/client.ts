// Types only at module level: the SDKs are loaded on the first connect, so `pulumi preview` (check and diff, which
// never call Azure) does not pay for loading them.
import type { ImageBuilderClient } from "@azure/arm-imagebuilder";
import type * as pulumi from "@pulumi/pulumi";
import type { TokenCredential } from "@azure/identity";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { explainTokenFailure, isExpiredAssertion, StaticTokenExpiredError } from "../errors";
import { pollIntervalMs, retrySettings } from "./tuning";
import { type Env, resolveAzureSettings, SETTINGS, setting, type StackConfig, withStackConfig } from "./credentials";
import { userAgentOptions, userAgentPrefix } from "./user-agent";
import { observeResponses } from "./wait";
import { renewExpiredToken } from "./expired-token";
import { subscriptionGuid } from "../codecs/ids";

/** One place a token can come from, as listed in authentication errors; `credential` is unset when not configured. */
export interface CredentialSource {
  label: string;
  credential?: TokenCredential;
  /** What to set to use it, when it is not configured. */
  missing?: string;
  /**
   * A source the user configured explicitly: when it fails (rather than reports itself unavailable) the search stops,
   * so a wrong secret never silently deploys as another identity (e.g. the `az login` user).
   */
  stops?: boolean;
  /** A token given once (ARM_OIDC_TOKEN): when it expires there is nothing to renew it from. */
  static?: boolean;
}

const OIDC_AUDIENCE = "api://AzureADTokenExchange";

/** The OIDC token of a GitHub Actions style request URL (the same request azure-native and the azure/login action make). */
async function requestOidcToken(url: string, bearer: string): Promise<string> {
  const target = new URL(url);
  target.searchParams.set("audience", OIDC_AUDIENCE);
  const response = await fetch(target, {
    headers: { Authorization: `Bearer ${bearer}`, Accept: "application/json", "User-Agent": userAgentPrefix() },
  });
  if (!response.ok) throw new Error(`the OIDC request URL answered HTTP ${response.status}`);
  const { value } = (await response.json()) as { value?: unknown };
  if (typeof value !== "string" || value === "") throw new Error("the OIDC request URL returned no token (value)");
  return value;
}

/**
 * Every source, in the order they are tried: the service principal's configured proofs (OIDC, certificate, secret,
 * as azure-native prefers them), a managed identity, the Azure CLI's login. Each is an @azure/identity credential;
 * secrets are read from `env` when a token is needed, never copied into labels.
 */
export function credentialSources(env: Env): CredentialSource[] {
  const identity = require("@azure/identity") as typeof import("@azure/identity");
  const s = resolveAzureSettings(env);
  const options = {
    authorityHost: s.authorityHost,
    disableInstanceDiscovery: s.disableInstanceDiscovery,
    retryOptions: retrySettings(env),
    userAgentOptions: userAgentOptions(),
    // Tokens for the auxiliary tenants come from the same credentials (createCredential's tenant-bound views).
    additionallyAllowedTenants: s.auxiliaryTenantIds,
  };
  const sources: CredentialSource[] = [];
  const principal = (label: string, make: (tenantId: string, clientId: string) => TokenCredential) =>
    sources.push(
      s.tenantId && s.clientId
        ? { label, credential: make(s.tenantId, s.clientId), stops: true }
        : { label, missing: "needs the tenant id and client id too (ARM_TENANT_ID, ARM_CLIENT_ID)" },
    );
  const assertion = (label: string, read: () => Promise<string>) =>
    principal(label, (t, c) => new identity.ClientAssertionCredential(t, c, read, options));
  for (const proof of s.proofs) {
    if (proof.kind === "oidcToken") {
      assertion("OIDC token (ARM_OIDC_TOKEN)", async () => setting(env, "oidcToken")!);
      sources[sources.length - 1].static = true;
    } else if (proof.kind === "oidcTokenFile") {
      // Re-read on every token: the platform rotates the file (AKS workload identity).
      assertion("OIDC token file (ARM_OIDC_TOKEN_FILE_PATH / AZURE_FEDERATED_TOKEN_FILE)", async () =>
        (await readFile(proof.path, "utf8")).trim(),
      );
    } else if (proof.kind === "oidcRequest") {
      assertion("OIDC token request (ARM_OIDC_REQUEST_URL + ARM_OIDC_REQUEST_TOKEN)", () =>
        requestOidcToken(proof.url, setting(env, "oidcRequestToken")!),
      );
    } else if (proof.kind === "certificate") {
      const certificatePassword = setting(env, "clientCertificatePassword");
      principal(
        "client certificate (ARM_CLIENT_CERTIFICATE_PATH / AZURE_CLIENT_CERTIFICATE_PATH)",
        (t, c) =>
          new identity.ClientCertificateCredential(t, c, { certificatePath: proof.path, certificatePassword }, options),
      );
    } else {
      principal(
        "client secret (ARM_CLIENT_SECRET / AZURE_CLIENT_SECRET)",
        (t, c) => new identity.ClientSecretCredential(t, c, setting(env, "clientSecret")!, options),
      );
    }
  }
  if (s.proofs.length === 0) {
    sources.push({
      label: "service principal",
      missing:
        "set ARM_TENANT_ID, ARM_CLIENT_ID and ARM_CLIENT_SECRET, ARM_CLIENT_CERTIFICATE_PATH or ARM_USE_OIDC with an OIDC token",
    });
  }
  const msi = "managed identity (ARM_USE_MSI; IDENTITY_ENDPOINT or the instance metadata endpoint)";
  // As in azure-native, only when asked for (or on a host that announces its endpoint): probing the instance metadata
  // endpoint on every other machine costs time and hides the real problem.
  sources.push(
    s.useMsi || env.IDENTITY_ENDPOINT
      ? {
          label: msi,
          stops: s.useMsi,
          // With ARM_USE_MSI the client id names a user-assigned identity; otherwise a service principal's.
          credential: new identity.ManagedIdentityCredential({
            ...(s.useMsi && s.clientId ? { clientId: s.clientId } : {}),
            retryOptions: options.retryOptions,
            userAgentOptions: options.userAgentOptions,
          }),
        }
      : { label: msi, missing: "set ARM_USE_MSI=true (with ARM_CLIENT_ID for a user-assigned identity)" },
  );
  sources.push({
    label: "Azure CLI (az login)",
    credential: new identity.AzureCliCredential({
      tenantId: s.tenantId,
      additionallyAllowedTenants: s.auxiliaryTenantIds,
    }),
  });
  return sources;
}

/**
 * Tries the configured sources in order, as ChainedTokenCredential does (moving on from a source that throws
 * CredentialUnavailableError), but also stops at a failing source the user configured explicitly. Failures name every
 * source: tried and why it failed, not configured, not reached.
 */
export function createCredential(env: Env): TokenCredential {
  const { CredentialUnavailableError } = require("@azure/identity") as typeof import("@azure/identity");
  const s = resolveAzureSettings(env);
  const sources = credentialSources(env);
  return {
    getToken: async (scopes, options) => {
      const failures: [unknown, number][] = [];
      for (const [index, source] of sources.entries()) {
        const { credential, stops } = source;
        if (!credential) continue;
        try {
          const token = await credential.getToken(scopes, options);
          if (token) return token;
        } catch (e) {
          // One line saying what expired, rather than the list: the configured token is right, only too old.
          if (source.static && isExpiredAssertion(e)) throw new StaticTokenExpiredError(setting(env, "oidcToken"));
          failures.push([e, index]);
          if (stops && !(e instanceof CredentialUnavailableError)) break;
        }
      }
      throw explainTokenFailure(sources, failures, s.authorityHost);
    },
  };
}

export interface Connection {
  client: ImageBuilderClient;
  /** The client's credential and ARM endpoint, for the other services a build involves (its log in storage). */
  credential: TokenCredential;
  endpoint: string;
  /** AZURE_IMAGEBUILDER_POLL_INTERVAL_MS: the poll schedule's first pause, which scales all of it (wait.ts). */
  pollIntervalMs: number;
}

// Connections live for the provider process (this module is never serialized into state), so one token and one
// authority discovery serve every operation. Keyed by everything they were made from: a changed variable gets a new one.
const connections = new Map<string, Connection>();

/** Drops what a provider process keeps (connections, the CLI's subscription), as a fresh process starts without. */
export function forgetConnections(): void {
  connections.clear();
  cliSubscription = undefined;
}

let cliSubscription: Promise<string | undefined> | undefined;

/** The Azure CLI's default subscription (`az account show`), undefined without az or a login; asked once per process. */
function azureCliSubscription(): Promise<string | undefined> {
  cliSubscription ??= new Promise((resolve) => {
    const az = process.platform === "win32" ? "az.cmd" : "az";
    execFile(az, ["account", "show", "--output", "json"], { timeout: 30_000 }, (error, stdout) => {
      try {
        resolve(error ? undefined : String(JSON.parse(stdout).id ?? "") || undefined);
      } catch {
        resolve(undefined);
      }
    });
  });
  return cliSubscription;
}

/** The subscription the cmdlet would use from "the current context": the ARM/Azure CLI environment variables. */
export function subscriptionFromEnv(env: Record<string, string | undefined>): string | undefined {
  const subscription = env.AZURE_SUBSCRIPTION_ID || env.ARM_SUBSCRIPTION_ID;
  return subscription ? subscriptionGuid(subscription) : undefined;
}

/**
 * The environment `check` resolves defaults from: effectiveEnv(), and when neither the resource's arguments
 * (`needsSubscription` false), the config nor the environment name a subscription, the Azure CLI's default one (as
 * azure-native does), so state records it.
 */
export async function checkEnv(needsSubscription: boolean): Promise<Env> {
  const env = effectiveEnv();
  if (!needsSubscription || setting(env, "subscriptionId")) return env;
  const subscription = await defaultSubscription(env);
  return subscription ? { ...env, ARM_SUBSCRIPTION_ID: subscription } : env;
}

/** The subscription a resource without `subscriptionId` deploys to: the config or environment, else az's default. */
export async function defaultSubscription(env: Env): Promise<string | undefined> {
  const configured = setting(env, "subscriptionId");
  return configured ? subscriptionGuid(configured) : await azureCliSubscription();
}

let stackConfig: StackConfig = {};

/** Keeps the stack config the engine sent to `configure` (memory only: it may hold secrets, it never reaches state). */
export function useStackConfig(config: StackConfig): void {
  stackConfig = config;
}

/** The dynamic provider's `configure`: the azure-native:* keys of the stack config. */
export async function configureFromStack(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
  useStackConfig(
    Object.fromEntries(Object.keys(SETTINGS).map((k) => [`azure-native:${k}`, req.config.get(`azure-native:${k}`)])),
  );
}

/** The environment as the provider sees it now: process.env under the stack's azure-native:* config. */
export function effectiveEnv(env: Env = process.env): Env {
  return withStackConfig(env, stackConfig);
}

/** A client for one subscription, configured from the environment (and stack config) as it is now. */
export function connect(subscriptionId: string, processEnv: Env = process.env): Connection {
  const env = effectiveEnv(processEnv);
  const key = JSON.stringify([
    subscriptionId,
    Object.entries(env)
      .filter(([k]) => /^(AZURE|ARM|ACTIONS_ID|IDENTITY|MSI)_/.test(k))
      .sort(),
  ]);
  let connection = connections.get(key);
  if (!connection) {
    const { ImageBuilderClient } = require("@azure/arm-imagebuilder") as typeof import("@azure/arm-imagebuilder");
    const { auxiliaryAuthenticationHeaderPolicy } =
      require("@azure/core-rest-pipeline") as typeof import("@azure/core-rest-pipeline");
    const s = resolveAzureSettings(env);
    const credential = createCredential(env);
    // One credential per auxiliary tenant: the same sources, asked for that tenant's token.
    const auxiliary = s.auxiliaryTenantIds.map((tenantId): TokenCredential => ({
      getToken: (scopes, o) =>
        credential.getToken(scopes, { ...o, tenantId }).catch((e: unknown) => {
          const why = e instanceof Error ? e.message : String(e);
          throw new Error(`No token for auxiliary tenant ${tenantId} (auxiliaryTenantIds): ${why}`, { cause: e });
        }),
    }));
    const client = new ImageBuilderClient(credential, subscriptionId, {
      endpoint: s.endpoint,
      credentials: { scopes: [s.scope] },
      retryOptions: retrySettings(env),
      userAgentOptions: userAgentOptions(),
      additionalPolicies: [
        { policy: renewExpiredToken(credential, [s.scope]), position: "perRetry" },
        ...(auxiliary.length
          ? [
              {
                policy: auxiliaryAuthenticationHeaderPolicy({ credentials: auxiliary, scopes: [s.scope] }),
                position: "perRetry" as const,
              },
            ]
          : []),
      ],
    });
    client.pipeline.addPolicy(observeResponses);
    connection = { client, credential, endpoint: s.endpoint, pollIntervalMs: pollIntervalMs(env) };
    connections.set(key, connection);
  }
  return connection;
}
