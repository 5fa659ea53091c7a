/**
 * Where to authenticate and which ARM endpoint to call, derived from the environment at call time. Pure: the
 * credential objects are built in client.ts. Nothing here is ever captured into the serialized provider.
 */
export type Env = Record<string, string | undefined>;

export interface Cloud {
  name: "AzureCloud" | "AzureUSGovernment" | "AzureChinaCloud";
  authorityHost: string;
  resourceManager: string;
}

export const CLOUDS: readonly Cloud[] = [
  {
    name: "AzureCloud",
    authorityHost: "https://login.microsoftonline.com",
    resourceManager: "https://management.azure.com",
  },
  {
    name: "AzureUSGovernment",
    authorityHost: "https://login.microsoftonline.us",
    resourceManager: "https://management.usgovcloudapi.net",
  },
  {
    name: "AzureChinaCloud",
    authorityHost: "https://login.chinacloudapi.cn",
    resourceManager: "https://management.chinacloudapi.cn",
  },
];

// Spellings used by the Azure CLI, Terraform (ARM_ENVIRONMENT=public/usgovernment/china) and the SDKs.
const CLOUD_ALIASES: Record<string, Cloud["name"]> = {
  azurecloud: "AzureCloud",
  public: "AzureCloud",
  azurepubliccloud: "AzureCloud",
  azureusgovernment: "AzureUSGovernment",
  usgovernment: "AzureUSGovernment",
  azureusgovernmentcloud: "AzureUSGovernment",
  azurechinacloud: "AzureChinaCloud",
  china: "AzureChinaCloud",
};

export interface AzureSettings {
  cloud: Cloud;
  authorityHost: string;
  /** MSAL instance discovery only works against the public Azure authorities. */
  disableInstanceDiscovery: boolean;
  /** ARM base URL the ImageBuilderClient calls. */
  endpoint: string;
  /** Token scope: the cloud's ARM audience (also for a custom endpoint such as the emulator). */
  scope: string;
  /** Service principal from Terraform-style ARM_* variables when the AZURE_* ones are absent. */
  armServicePrincipal?: { tenantId: string; clientId: string };
  tenantId?: string;
  managedIdentityClientId?: string;
}

const trimSlash = (url: string): string => url.replace(/\/+$/, "");

export function resolveCloud(env: Env): Cloud {
  const requested = env.AZURE_ENVIRONMENT || env.ARM_ENVIRONMENT;
  if (!requested) return CLOUDS[0];
  const name = CLOUD_ALIASES[requested.replace(/[\s_-]/g, "").toLowerCase()];
  const cloud = CLOUDS.find((c) => c.name === name);
  if (!cloud) {
    throw new Error(
      `Unknown Azure environment "${requested}" (AZURE_ENVIRONMENT/ARM_ENVIRONMENT): use AzureCloud, AzureUSGovernment or AzureChinaCloud`,
    );
  }
  return cloud;
}

export function resolveAzureSettings(env: Env): AzureSettings {
  const cloud = resolveCloud(env);
  const authorityHost = trimSlash(env.AZURE_AUTHORITY_HOST || cloud.authorityHost);
  const knownAuthority = CLOUDS.some((c) => c.authorityHost === authorityHost.toLowerCase());
  const useArm = !env.AZURE_CLIENT_ID && !!env.ARM_CLIENT_ID && !!env.ARM_TENANT_ID && !!env.ARM_CLIENT_SECRET;
  return {
    cloud,
    authorityHost,
    disableInstanceDiscovery: !knownAuthority,
    endpoint: trimSlash(env.AZURE_RESOURCE_MANAGER_ENDPOINT || cloud.resourceManager),
    scope: `${cloud.resourceManager}/.default`,
    armServicePrincipal: useArm ? { tenantId: env.ARM_TENANT_ID!, clientId: env.ARM_CLIENT_ID! } : undefined,
    tenantId: env.AZURE_TENANT_ID || env.ARM_TENANT_ID || undefined,
    managedIdentityClientId: env.AZURE_CLIENT_ID || env.ARM_CLIENT_ID || undefined,
  };
}

const DEFAULT_POLL_INTERVAL_MS = 2000;

function nonNegativeNumber(env: Env, name: string, fallback: number, unit: string, integer = false): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be a non-negative ${integer ? "integer" : "number"}${unit}, got "${raw}"`);
  }
  return value;
}

/** LRO poll interval used when the service sends no usable Retry-After. */
export function pollIntervalMs(env: Env): number {
  return nonNegativeNumber(env, "AZURE_IMAGEBUILDER_POLL_INTERVAL_MS", DEFAULT_POLL_INTERVAL_MS, " of milliseconds");
}

/** core-rest-pipeline's `retryOptions`: the one retry policy of every ARM and token request. */
export interface RetrySettings {
  maxRetries: number;
  retryDelayInMs: number;
  maxRetryDelayInMs: number;
}

/**
 * The SDK's default retry policy already honours Retry-After on 429/503 and backs off exponentially (with jitter:
 * attempt n waits between delay*2^n/2 and delay*2^n, capped) on 5xx, 408 and connection resets. We keep its
 * strategies and set the bounds explicitly: 3 retries (the SDK default) are too few when ARM throttles a large
 * `pulumi up` several times in a row, and its 64 s cap lets a single wait outlast the user's patience.
 * Worst case for transient 5xx: 0.5-1 + 1-2 + 2-4 + 4-8 + 8-16 + 15-30 s, at most ~61 s before the error surfaces.
 */
export const DEFAULT_RETRY: RetrySettings = { maxRetries: 6, retryDelayInMs: 1000, maxRetryDelayInMs: 30_000 };

export function retrySettings(env: Env): RetrySettings {
  return {
    maxRetries: nonNegativeNumber(env, "AZURE_IMAGEBUILDER_MAX_RETRIES", DEFAULT_RETRY.maxRetries, "", true),
    retryDelayInMs: nonNegativeNumber(
      env,
      "AZURE_IMAGEBUILDER_RETRY_DELAY_MS",
      DEFAULT_RETRY.retryDelayInMs,
      " of milliseconds",
    ),
    maxRetryDelayInMs: nonNegativeNumber(
      env,
      "AZURE_IMAGEBUILDER_MAX_RETRY_DELAY_MS",
      DEFAULT_RETRY.maxRetryDelayInMs,
      " of milliseconds",
    ),
  };
}
