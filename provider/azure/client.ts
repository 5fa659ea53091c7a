// Types only at module level: the SDKs are loaded on the first connect, so `pulumi preview` (check and diff, which
// never call Azure) does not pay for loading them.
import type { ImageBuilderClient } from "@azure/arm-imagebuilder";
import type { TokenCredential } from "@azure/identity";
import { explainTokenFailure } from "../errors";
import { type AzureSettings, type Env, pollIntervalMs, resolveAzureSettings, retrySettings } from "./credentials";

/** DefaultAzureCredential's sources in the order it tries them (@azure/identity 4.13), with what each reads. */
const DEFAULT_CHAIN: readonly string[] = [
  "EnvironmentCredential (AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH)",
  "WorkloadIdentityCredential (AZURE_FEDERATED_TOKEN_FILE)",
  "ManagedIdentityCredential (the instance metadata endpoint)",
  "VisualStudioCodeCredential",
  "AzureCliCredential (az login)",
  "AzurePowerShellCredential (Connect-AzAccount)",
  "AzureDeveloperCliCredential (azd auth login)",
];

/** The credential sources createCredential chains, in order, as shown in authentication errors. */
export function credentialSources(s: AzureSettings): string[] {
  const arm = s.armServicePrincipal
    ? ["ClientSecretCredential (ARM_TENANT_ID + ARM_CLIENT_ID + ARM_CLIENT_SECRET)"]
    : [];
  return [...arm, ...DEFAULT_CHAIN];
}

/**
 * The credential chain: DefaultAzureCredential (environment, workload identity, managed identity, Azure CLI, ...),
 * preceded by a service principal from ARM_* variables when only those are set (Terraform users' setup).
 */
export function createCredential(env: Env): TokenCredential {
  const { ChainedTokenCredential, ClientSecretCredential, DefaultAzureCredential } =
    require("@azure/identity") as typeof import("@azure/identity");
  const s = resolveAzureSettings(env);
  const common = {
    authorityHost: s.authorityHost,
    disableInstanceDiscovery: s.disableInstanceDiscovery,
    retryOptions: retrySettings(env),
  };
  const fallback = new DefaultAzureCredential({
    ...common,
    tenantId: s.tenantId,
    managedIdentityClientId: s.managedIdentityClientId,
    workloadIdentityClientId: s.managedIdentityClientId,
  });
  if (!s.armServicePrincipal) return fallback;
  const sp = new ClientSecretCredential(
    s.armServicePrincipal.tenantId,
    s.armServicePrincipal.clientId,
    env.ARM_CLIENT_SECRET!,
    common,
  );
  return new ChainedTokenCredential(sp, fallback);
}

/**
 * `credential`, whose failures name every source tried, where it failed and which were never reached (the SDK's own
 * message names only the last one, with "Status code: 400" even when the token endpoint was unreachable).
 */
function explainingFailures(credential: TokenCredential, s: AzureSettings): TokenCredential {
  const sources = credentialSources(s);
  return {
    getToken: async (scopes, options) => {
      try {
        return await credential.getToken(scopes, options);
      } catch (e) {
        throw explainTokenFailure(e, sources, s.authorityHost);
      }
    },
  };
}

export interface Connection {
  client: ImageBuilderClient;
  /** The client's credential and ARM endpoint, for the other services a build involves (its log in storage). */
  credential: TokenCredential;
  endpoint: string;
  pollOptions: { updateIntervalInMs: number };
}

// Connections live for the provider process (this module is never serialized into state), so one token and one
// authority discovery serve every operation. Keyed by everything they were made from: a changed variable gets a new one.
const connections = new Map<string, Connection>();

/** Drops the kept connections, as a fresh provider process starts without them (tests of first-token failures). */
export function forgetConnections(): void {
  connections.clear();
}

/** A client for one subscription, configured from the environment as it is now. */
export function connect(subscriptionId: string, env: Env = process.env): Connection {
  const key = JSON.stringify([
    subscriptionId,
    Object.entries(env)
      .filter(([k]) => /^(AZURE|ARM|IDENTITY|MSI)_/.test(k))
      .sort(),
  ]);
  let connection = connections.get(key);
  if (!connection) {
    const { ImageBuilderClient } = require("@azure/arm-imagebuilder") as typeof import("@azure/arm-imagebuilder");
    const s = resolveAzureSettings(env);
    const credential = explainingFailures(createCredential(env), s);
    const client = new ImageBuilderClient(credential, subscriptionId, {
      endpoint: s.endpoint,
      credentials: { scopes: [s.scope] },
      retryOptions: retrySettings(env),
    });
    connection = { client, credential, endpoint: s.endpoint, pollOptions: { updateIntervalInMs: pollIntervalMs(env) } };
    connections.set(key, connection);
  }
  return connection;
}
