import assert from "node:assert/strict";
import {
  AzureCliCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
} from "@azure/identity";
import { credentialSources } from "../../provider/azure/client";
import { pollIntervalMs } from "../../provider/azure/tuning";
import { resolveAzureSettings, resolveCloud, setting, withStackConfig } from "../../provider/azure/credentials";

describe("credentials and endpoints from the environment", () => {
  it("defaults to the public cloud with instance discovery on", () => {
    const s = resolveAzureSettings({});
    assert.equal(s.cloud.name, "AzureCloud");
    assert.equal(s.authorityHost, "https://login.microsoftonline.com");
    assert.equal(s.endpoint, "https://management.azure.com");
    assert.equal(s.scope, "https://management.azure.com/.default");
    assert.equal(s.disableInstanceDiscovery, false);
  });

  it("selects sovereign clouds from AZURE_ENVIRONMENT or ARM_ENVIRONMENT in the usual spellings", () => {
    assert.equal(resolveCloud({ AZURE_ENVIRONMENT: "AzureUSGovernment" }).name, "AzureUSGovernment");
    assert.equal(resolveCloud({ ARM_ENVIRONMENT: "china" }).name, "AzureChinaCloud");
    assert.equal(resolveCloud({ ARM_ENVIRONMENT: "usgovernment" }).name, "AzureUSGovernment");
    assert.equal(resolveCloud({ AZURE_ENVIRONMENT: "AzureCloud", ARM_ENVIRONMENT: "china" }).name, "AzureCloud");
    const gov = resolveAzureSettings({ AZURE_ENVIRONMENT: "AzureUSGovernment" });
    assert.equal(gov.endpoint, "https://management.usgovcloudapi.net");
    assert.equal(gov.authorityHost, "https://login.microsoftonline.us");
    assert.equal(gov.scope, "https://management.usgovcloudapi.net/.default");
    assert.equal(gov.disableInstanceDiscovery, false);
    assert.throws(() => resolveCloud({ AZURE_ENVIRONMENT: "AzureGermanCloud" }), /AzureUSGovernment/);
  });

  it("uses a custom ARM endpoint and authority (the emulator) with instance discovery off", () => {
    const s = resolveAzureSettings({
      AZURE_AUTHORITY_HOST: "https://127.0.0.1:8443/",
      AZURE_RESOURCE_MANAGER_ENDPOINT: "https://127.0.0.1:8443/",
    });
    assert.equal(s.authorityHost, "https://127.0.0.1:8443");
    assert.equal(s.endpoint, "https://127.0.0.1:8443");
    assert.equal(s.disableInstanceDiscovery, true);
    assert.equal(s.scope, "https://management.azure.com/.default");
  });

  it("keeps instance discovery for a known cloud authority given explicitly", () => {
    assert.equal(
      resolveAzureSettings({ AZURE_AUTHORITY_HOST: "https://login.chinacloudapi.cn" }).disableInstanceDiscovery,
      false,
    );
  });

  it("reads a service principal from the ARM_* names when the AZURE_* ones are absent, AZURE_* first", () => {
    const arm = { ARM_TENANT_ID: "t", ARM_CLIENT_ID: "c", ARM_CLIENT_SECRET: "s" };
    const s = resolveAzureSettings(arm);
    assert.deepEqual([s.tenantId, s.clientId, s.proofs], ["t", "c", [{ kind: "secret" }]]);
    assert.equal(resolveAzureSettings({ ...arm, AZURE_CLIENT_ID: "x" }).clientId, "x");
    assert.deepEqual(resolveAzureSettings({ ARM_CLIENT_ID: "c" }).proofs, []);
  });

  it("orders a principal's proofs as azure-native does: OIDC (only with ARM_USE_OIDC), certificate, secret", () => {
    const env = {
      ARM_CLIENT_SECRET: "s",
      ARM_CLIENT_CERTIFICATE_PATH: "/c.pem",
      ARM_OIDC_TOKEN: "jwt",
      ARM_OIDC_TOKEN_FILE_PATH: "/token",
      ARM_OIDC_REQUEST_TOKEN: "r",
      ARM_OIDC_REQUEST_URL: "https://oidc.example/?api-version=2.0",
    };
    assert.deepEqual(
      resolveAzureSettings(env).proofs.map((p) => p.kind),
      ["certificate", "secret"],
    );
    assert.deepEqual(resolveAzureSettings({ ...env, ARM_USE_OIDC: "true" }).proofs, [
      { kind: "oidcToken" },
      { kind: "oidcTokenFile", path: "/token" },
      { kind: "oidcRequest", url: "https://oidc.example/?api-version=2.0" },
      { kind: "certificate", path: "/c.pem" },
      { kind: "secret" },
    ]);
    // GitHub Actions' own variables, and a workload identity token file that needs no ARM_USE_OIDC.
    assert.deepEqual(
      resolveAzureSettings({
        ARM_USE_OIDC: "1",
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: "r",
        ACTIONS_ID_TOKEN_REQUEST_URL: "https://gh/x",
      }).proofs,
      [{ kind: "oidcRequest", url: "https://gh/x" }],
    );
    assert.deepEqual(resolveAzureSettings({ AZURE_FEDERATED_TOKEN_FILE: "/f" }).proofs, [
      { kind: "oidcTokenFile", path: "/f" },
    ]);
    assert.equal(resolveAzureSettings({ ARM_USE_MSI: "true" }).useMsi, true);
    assert.equal(resolveAzureSettings({ ARM_USE_MSI: "false" }).useMsi, false);
  });

  it("reads auxiliary tenants as a JSON list (azure-native:auxiliaryTenantIds) or a ;/, list (ARM_AUXILIARY_TENANT_IDS)", () => {
    const [a, b] = ["11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"];
    assert.deepEqual(resolveAzureSettings({}).auxiliaryTenantIds, []);
    assert.deepEqual(resolveAzureSettings({ ARM_AUXILIARY_TENANT_IDS: `${a}; ${b}` }).auxiliaryTenantIds, [a, b]);
    assert.deepEqual(resolveAzureSettings({ ARM_AUXILIARY_TENANT_IDS: `${a},${b}` }).auxiliaryTenantIds, [a, b]);
    const config = withStackConfig({}, { "azure-native:auxiliaryTenantIds": JSON.stringify([b]) });
    assert.deepEqual(resolveAzureSettings(config).auxiliaryTenantIds, [b]);
    for (const [raw, rule] of [
      ["[1,2]", /tenant ids \(GUIDs\)/],
      ['["a"', /JSON list/],
      ["not-a-guid", /tenant ids \(GUIDs\)/],
      [JSON.stringify([a, b, a, b]), /at most 3/],
    ] as const) {
      assert.throws(() => resolveAzureSettings({ ARM_AUXILIARY_TENANT_IDS: raw }), rule, raw);
    }
  });

  it("lays azure-native:* stack config over the environment, config first", () => {
    const env = withStackConfig(
      { AZURE_CLIENT_ID: "env-client", ARM_TENANT_ID: "env-tenant", PATH: "/bin" },
      {
        "azure-native:clientId": "cfg-client",
        "azure-native:useOidc": "true",
        "azure-native:location": "westus2",
        "other:clientId": "x",
      },
    );
    assert.equal(setting(env, "clientId"), "cfg-client");
    assert.equal(env.ARM_CLIENT_ID, "cfg-client");
    assert.equal(setting(env, "tenantId"), "env-tenant");
    assert.equal(env.ARM_USE_OIDC, "true");
    assert.equal(env.ARM_LOCATION, "westus2");
    assert.equal(env.PATH, "/bin");
  });

  it("lists every source in order with what to set, and chains only the configured ones", () => {
    const labels = (env: Record<string, string>) =>
      credentialSources(env).map((s) => `${s.label}${s.credential ? "" : " (not configured)"}`);
    assert.deepEqual(labels({}), [
      "service principal (not configured)",
      "managed identity (ARM_USE_MSI; IDENTITY_ENDPOINT or the instance metadata endpoint) (not configured)",
      "Azure CLI (az login)",
    ]);
    const sources = credentialSources({
      ARM_TENANT_ID: "t",
      ARM_CLIENT_ID: "c",
      ARM_CLIENT_CERTIFICATE_PATH: "/c.pem",
      ARM_CLIENT_SECRET: "s",
    });
    assert.ok(sources[0].credential instanceof ClientCertificateCredential);
    assert.ok(sources[1].credential instanceof ClientSecretCredential);
    assert.equal(sources[2].credential, undefined, "a managed identity only when asked for");
    assert.ok(sources[3].credential instanceof AzureCliCredential);
    const msi = credentialSources({ ARM_USE_MSI: "true", ARM_CLIENT_ID: "c" });
    assert.ok(msi[1].credential instanceof ManagedIdentityCredential);
    const oidc = credentialSources({ ARM_CLIENT_ID: "c", ARM_USE_OIDC: "true", ARM_OIDC_TOKEN: "jwt" });
    assert.equal(oidc[0].label, "OIDC token (ARM_OIDC_TOKEN)");
    assert.match(oidc[0].missing ?? "", /tenant id/);
  });

  it("never copies a secret into the settings", () => {
    const s = resolveAzureSettings({
      AZURE_CLIENT_SECRET: "super-secret-1",
      ARM_CLIENT_SECRET: "super-secret-2",
      ARM_CLIENT_ID: "c",
      ARM_TENANT_ID: "t",
    });
    assert.doesNotMatch(JSON.stringify(s), /super-secret/);
  });

  it("reads the LRO poll interval, defaulting to 2 s and rejecting nonsense", () => {
    assert.equal(pollIntervalMs({}), 2000);
    assert.equal(pollIntervalMs({ AZURE_IMAGEBUILDER_POLL_INTERVAL_MS: "50" }), 50);
    assert.throws(() => pollIntervalMs({ AZURE_IMAGEBUILDER_POLL_INTERVAL_MS: "fast" }), /non-negative number/);
  });
});
