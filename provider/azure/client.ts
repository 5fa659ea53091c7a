import { ImageBuilderClient } from "@azure/arm-imagebuilder";
import {
  ChainedTokenCredential,
  ClientSecretCredential,
  DefaultAzureCredential,
  type TokenCredential,
} from "@azure/identity";
import { type Env, pollIntervalMs, resolveAzureSettings } from "./credentials";

/**
 * The credential chain: DefaultAzureCredential (environment, workload identity, managed identity, Azure CLI, ...),
 * preceded by a service principal from ARM_* variables when only those are set (Terraform users' setup).
 */
export function createCredential(env: Env): TokenCredential {
  const s = resolveAzureSettings(env);
  const common = { authorityHost: s.authorityHost, disableInstanceDiscovery: s.disableInstanceDiscovery };
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

export interface Connection {
  client: ImageBuilderClient;
  pollOptions: { updateIntervalInMs: number };
}

/** A client for one subscription, configured from the environment as it is now. */
export function connect(subscriptionId: string, env: Env = process.env): Connection {
  const s = resolveAzureSettings(env);
  const client = new ImageBuilderClient(createCredential(env), subscriptionId, {
    endpoint: s.endpoint,
    credentials: { scopes: [s.scope] },
  });
  return { client, pollOptions: { updateIntervalInMs: pollIntervalMs(env) } };
}
