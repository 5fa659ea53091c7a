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

/**
 * The settings azure-native reads, each with its `azure-native:<key>` stack config key and the environment variables
 * that carry it (first set wins: the Azure SDK's AZURE_* name, then azure-native's and Terraform's ARM_* name).
 */
export const SETTINGS = {
  clientId: ["AZURE_CLIENT_ID", "ARM_CLIENT_ID"],
  tenantId: ["AZURE_TENANT_ID", "ARM_TENANT_ID"],
  clientSecret: ["AZURE_CLIENT_SECRET", "ARM_CLIENT_SECRET"],
  subscriptionId: ["AZURE_SUBSCRIPTION_ID", "ARM_SUBSCRIPTION_ID"],
  environment: ["AZURE_ENVIRONMENT", "ARM_ENVIRONMENT"],
  location: ["ARM_LOCATION"],
  clientCertificatePath: ["AZURE_CLIENT_CERTIFICATE_PATH", "ARM_CLIENT_CERTIFICATE_PATH"],
  clientCertificatePassword: ["AZURE_CLIENT_CERTIFICATE_PASSWORD", "ARM_CLIENT_CERTIFICATE_PASSWORD"],
  useOidc: ["ARM_USE_OIDC"],
  oidcToken: ["ARM_OIDC_TOKEN"],
  oidcTokenFilePath: ["ARM_OIDC_TOKEN_FILE_PATH", "AZURE_FEDERATED_TOKEN_FILE"],
  // GitHub Actions sets the ACTIONS_* pair itself when the job has `permissions: id-token: write`.
  oidcRequestToken: ["ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"],
  oidcRequestUrl: ["ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL"],
  useMsi: ["ARM_USE_MSI"],
  // A JSON list (as azure-native's config takes it) or ids separated by ";" or "," (as Terraform's variable).
  auxiliaryTenantIds: ["ARM_AUXILIARY_TENANT_IDS"],
} as const satisfies Record<string, readonly string[]>;
export type SettingName = keyof typeof SETTINGS;

/** Stack config as the engine hands it to dynamic providers: every key namespaced, every value a string. */
export type StackConfig = Record<string, string | undefined>;

/**
 * The environment with the stack's `azure-native:*` config laid over it: a config value wins over the environment
 * (as in azure-native), so everything downstream reads one map. Built per call; never stored anywhere but memory.
 */
export function withStackConfig(env: Env, config: StackConfig): Env {
  const merged: Env = { ...env };
  for (const [name, vars] of Object.entries(SETTINGS)) {
    const value = config[`azure-native:${name}`];
    if (value !== undefined && value !== "") for (const v of vars) merged[v] = value;
  }
  return merged;
}

const PRINCIPAL: ReadonlySet<SettingName> = new Set([
  "clientId",
  "tenantId",
  "clientSecret",
  "clientCertificatePath",
  "clientCertificatePassword",
]);

/**
 * A setting's value: its first environment variable that is set. A service principal's members come from one family
 * where both are set: AZURE_* when AZURE_CLIENT_ID names the client, else ARM_* (a Terraform setup with a stray
 * AZURE_CLIENT_SECRET keeps its own ARM_CLIENT_SECRET).
 */
export function setting(env: Env, name: SettingName): string | undefined {
  const vars: readonly string[] = SETTINGS[name];
  const ordered = PRINCIPAL.has(name) && !env.AZURE_CLIENT_ID ? [...vars].reverse() : vars;
  for (const v of ordered) if (env[v]) return env[v];
  return undefined;
}

const isTrue = (value: string | undefined) => /^(true|1|yes)$/i.test(value ?? "");

/** How a service principal proves itself, as azure-native picks it: OIDC, then certificate, then secret. */
export type PrincipalProof =
  | { kind: "oidcToken" }
  | { kind: "oidcTokenFile"; path: string }
  | { kind: "oidcRequest"; url: string }
  | { kind: "certificate"; path: string }
  | { kind: "secret" };

export interface AzureSettings {
  cloud: Cloud;
  authorityHost: string;
  /** MSAL instance discovery only works against the public Azure authorities. */
  disableInstanceDiscovery: boolean;
  /** ARM base URL the ImageBuilderClient calls. */
  endpoint: string;
  /** Token scope: the cloud's ARM audience (also for a custom endpoint such as the emulator). */
  scope: string;
  tenantId?: string;
  clientId?: string;
  /** The service principal proofs configured, in the order they are tried (values stay in the environment). */
  proofs: PrincipalProof[];
  /** ARM_USE_MSI / azure-native:useMsi: a managed identity was asked for (it is tried anyway, as the SDK does). */
  useMsi: boolean;
  /** Tenants whose tokens ARM requests carry in `x-ms-authorization-auxiliary` (e.g. a gallery in another tenant). */
  auxiliaryTenantIds: string[];
}

const trimSlash = (url: string): string => url.replace(/\/+$/, "");

export function resolveCloud(env: Env): Cloud {
  const requested = setting(env, "environment");
  if (!requested) return CLOUDS[0];
  const name = CLOUD_ALIASES[requested.replace(/[\s_-]/g, "").toLowerCase()];
  const cloud = CLOUDS.find((c) => c.name === name);
  if (!cloud) {
    throw new Error(
      `Unknown Azure environment "${requested}" (AZURE_ENVIRONMENT/ARM_ENVIRONMENT/azure-native:environment): use AzureCloud, AzureUSGovernment or AzureChinaCloud`,
    );
  }
  return cloud;
}

function principalProofs(env: Env): PrincipalProof[] {
  const proofs: PrincipalProof[] = [];
  const tokenFile = setting(env, "oidcTokenFilePath");
  // A federated token file from the environment (AKS workload identity) needs no ARM_USE_OIDC, as in the SDK.
  if (isTrue(setting(env, "useOidc")) || env.AZURE_FEDERATED_TOKEN_FILE) {
    const requestUrl = setting(env, "oidcRequestUrl");
    if (setting(env, "oidcToken")) proofs.push({ kind: "oidcToken" });
    if (tokenFile) proofs.push({ kind: "oidcTokenFile", path: tokenFile });
    if (requestUrl && setting(env, "oidcRequestToken")) proofs.push({ kind: "oidcRequest", url: requestUrl });
  }
  const certificate = setting(env, "clientCertificatePath");
  if (certificate) proofs.push({ kind: "certificate", path: certificate });
  if (setting(env, "clientSecret")) proofs.push({ kind: "secret" });
  return proofs;
}

const GUID = /^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i;
/** ARM takes at most three auxiliary tokens in one request. */
const MAX_AUXILIARY_TENANTS = 3;

function auxiliaryTenantIds(env: Env): string[] {
  const raw = setting(env, "auxiliaryTenantIds")?.trim();
  if (!raw) return [];
  const where = "ARM_AUXILIARY_TENANT_IDS / azure-native:auxiliaryTenantIds";
  let ids: unknown;
  try {
    ids = raw.startsWith("[") ? JSON.parse(raw) : raw.split(/[;,]/).map((id) => id.trim());
  } catch {
    throw new Error(`${where} must be a JSON list of tenant ids, got "${raw}"`);
  }
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string" && GUID.test(id))) {
    throw new Error(`${where} must list tenant ids (GUIDs), got "${raw}"`);
  }
  if (ids.length > MAX_AUXILIARY_TENANTS) {
    throw new Error(
      `${where} lists ${ids.length} tenants; Azure Resource Manager accepts at most ${MAX_AUXILIARY_TENANTS}`,
    );
  }
  return ids as string[];
}

export function resolveAzureSettings(env: Env): AzureSettings {
  const cloud = resolveCloud(env);
  const authorityHost = trimSlash(env.AZURE_AUTHORITY_HOST || cloud.authorityHost);
  const knownAuthority = CLOUDS.some((c) => c.authorityHost === authorityHost.toLowerCase());
  return {
    cloud,
    authorityHost,
    disableInstanceDiscovery: !knownAuthority,
    endpoint: trimSlash(env.AZURE_RESOURCE_MANAGER_ENDPOINT || cloud.resourceManager),
    scope: `${cloud.resourceManager}/.default`,
    tenantId: setting(env, "tenantId"),
    clientId: setting(env, "clientId"),
    proofs: principalProofs(env),
    useMsi: isTrue(setting(env, "useMsi")),
    auxiliaryTenantIds: auxiliaryTenantIds(env),
  };
}
