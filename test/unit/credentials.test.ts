import assert from "node:assert/strict";
import { ChainedTokenCredential, DefaultAzureCredential } from "@azure/identity";
import { createCredential } from "../../provider/azure/client";
import { pollIntervalMs, resolveAzureSettings, resolveCloud } from "../../provider/azure/credentials";

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

  it("takes a Terraform-style ARM_* service principal only when AZURE_CLIENT_ID is absent", () => {
    const arm = { ARM_TENANT_ID: "t", ARM_CLIENT_ID: "c", ARM_CLIENT_SECRET: "s" };
    assert.deepEqual(resolveAzureSettings(arm).armServicePrincipal, { tenantId: "t", clientId: "c" });
    assert.equal(resolveAzureSettings({ ...arm, AZURE_CLIENT_ID: "x" }).armServicePrincipal, undefined);
    assert.equal(resolveAzureSettings({ ARM_CLIENT_ID: "c" }).armServicePrincipal, undefined);
    assert.ok(createCredential(arm) instanceof ChainedTokenCredential);
    assert.ok(
      createCredential({ AZURE_TENANT_ID: "t", AZURE_CLIENT_ID: "c", AZURE_CLIENT_SECRET: "s" }) instanceof
        DefaultAzureCredential,
    );
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
