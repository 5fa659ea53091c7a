import { ImageBuilderClient } from "@azure/arm-imagebuilder";
import {
  ChainedTokenCredential,
  ClientSecretCredential,
  DefaultAzureCredential,
  type TokenCredential,
} from "@azure/identity";
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
  pollOptions: { updateIntervalInMs: number };
}

/** A client for one subscription, configured from the environment as it is now. */
export function connect(subscriptionId: string, env: Env = process.env): Connection {
  const s = resolveAzureSettings(env);
  const client = new ImageBuilderClient(explainingFailures(createCredential(env), s), subscriptionId, {
    endpoint: s.endpoint,
    credentials: { scopes: [s.scope] },
    retryOptions: retrySettings(env),
  });
  return { client, pollOptions: { updateIntervalInMs: pollIntervalMs(env) } };
}
