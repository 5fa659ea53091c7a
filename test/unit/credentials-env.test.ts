import assert from "node:assert/strict";
import { credentialSources } from "../../provider/azure/client";
import { resolveAzureSettings, resolveCloud, setting, withStackConfig } from "../../provider/azure/credentials";
import { DEFAULT_RETRY, pollIntervalMs, retrySettings } from "../../provider/azure/tuning";

// Which variable feeds which setting, one family at a time (the emulator's environment sets both families).
describe("credential settings: AZURE_* first, ARM_* as the fallback", () => {
  it("takes the tenant and client from ARM_* when the AZURE_* ones are absent", () => {
    const s = resolveAzureSettings({ ARM_TENANT_ID: "arm-tenant", ARM_CLIENT_ID: "arm-client" });
    assert.equal(s.tenantId, "arm-tenant");
    assert.equal(s.clientId, "arm-client");
  });

  it("prefers AZURE_TENANT_ID and AZURE_CLIENT_ID over their ARM_* counterparts", () => {
    const s = resolveAzureSettings({
      AZURE_TENANT_ID: "azure-tenant",
      AZURE_CLIENT_ID: "azure-client",
      ARM_TENANT_ID: "arm-tenant",
      ARM_CLIENT_ID: "arm-client",
    });
    assert.equal(s.tenantId, "azure-tenant");
    assert.equal(s.clientId, "azure-client");
  });

  it("keeps a principal's members in the family that names the client", () => {
    const env = { ARM_CLIENT_ID: "c", ARM_CLIENT_SECRET: "arm-secret", AZURE_CLIENT_SECRET: "azure-secret" };
    assert.equal(setting(env, "clientSecret"), "arm-secret");
    assert.equal(setting({ ...env, AZURE_CLIENT_ID: "c" }, "clientSecret"), "azure-secret");
  });

  it("leaves the tenant and client unset when neither family sets them (the SDK then picks its defaults)", () => {
    const s = resolveAzureSettings({ AZURE_TENANT_ID: "", ARM_TENANT_ID: "" });
    assert.equal(s.tenantId, undefined);
    assert.equal(s.clientId, undefined);
    assert.deepEqual(s.proofs, []);
  });

  it("needs all three ARM_* variables for a service principal", () => {
    const all = { ARM_TENANT_ID: "t", ARM_CLIENT_ID: "c", ARM_CLIENT_SECRET: "s" };
    assert.ok(credentialSources(all)[0].credential, "a client secret credential");
    for (const missing of Object.keys(all)) {
      const env = { ...all, [missing]: undefined };
      assert.equal(credentialSources(env)[0].credential, undefined, `without ${missing}`);
    }
  });
});

describe("settings from the environment: spelling and bounds", () => {
  it("trims every trailing slash from endpoints and reads cloud names with spaces, dashes and underscores", () => {
    const s = resolveAzureSettings({
      AZURE_RESOURCE_MANAGER_ENDPOINT: "https://arm.example//",
      AZURE_AUTHORITY_HOST: "https://login.example///",
    });
    assert.equal(s.endpoint, "https://arm.example");
    assert.equal(s.authorityHost, "https://login.example");
    assert.equal(resolveCloud({ ARM_ENVIRONMENT: "Azure US-Government" }).name, "AzureUSGovernment");
    assert.equal(resolveCloud({ AZURE_ENVIRONMENT: "azure_china_cloud" }).name, "AzureChinaCloud");
  });

  it("treats an empty variable as unset", () => {
    assert.equal(pollIntervalMs({ AZURE_IMAGEBUILDER_POLL_INTERVAL_MS: "" }), 2000);
    assert.deepEqual(retrySettings({ AZURE_IMAGEBUILDER_MAX_RETRIES: "" }), DEFAULT_RETRY);
  });

  it("reads each retry bound from its own variable", () => {
    assert.deepEqual(
      retrySettings({
        AZURE_IMAGEBUILDER_MAX_RETRIES: "2",
        AZURE_IMAGEBUILDER_RETRY_DELAY_MS: "5",
        AZURE_IMAGEBUILDER_MAX_RETRY_DELAY_MS: "7",
      }),
      { maxRetries: 2, retryDelayInMs: 5, maxRetryDelayInMs: 7 },
    );
    assert.equal(retrySettings({ AZURE_IMAGEBUILDER_RETRY_DELAY_MS: "0.5" }).retryDelayInMs, 0.5);
  });

  it("rejects negative, non-numeric and (for counts) fractional values, naming the variable and the rule", () => {
    const cases: [Record<string, string>, string][] = [
      [
        { AZURE_IMAGEBUILDER_POLL_INTERVAL_MS: "-1" },
        'AZURE_IMAGEBUILDER_POLL_INTERVAL_MS must be a non-negative number of milliseconds, got "-1"',
      ],
      [
        { AZURE_IMAGEBUILDER_MAX_RETRIES: "1.5" },
        'AZURE_IMAGEBUILDER_MAX_RETRIES must be a non-negative integer, got "1.5"',
      ],
      [
        { AZURE_IMAGEBUILDER_MAX_RETRIES: "-2" },
        'AZURE_IMAGEBUILDER_MAX_RETRIES must be a non-negative integer, got "-2"',
      ],
      [
        { AZURE_IMAGEBUILDER_RETRY_DELAY_MS: "soon" },
        'AZURE_IMAGEBUILDER_RETRY_DELAY_MS must be a non-negative number of milliseconds, got "soon"',
      ],
      [
        { AZURE_IMAGEBUILDER_MAX_RETRY_DELAY_MS: "-3" },
        'AZURE_IMAGEBUILDER_MAX_RETRY_DELAY_MS must be a non-negative number of milliseconds, got "-3"',
      ],
    ];
    for (const [env, message] of cases) {
      assert.throws(() => (env.AZURE_IMAGEBUILDER_POLL_INTERVAL_MS ? pollIntervalMs(env) : retrySettings(env)), {
        message,
      });
    }
  });
});

// The switches and pairs azure-native documents: ARM_USE_OIDC is true, 1 or yes (any case) and nothing else; an
// OIDC token request needs both its URL and its bearer token; an empty stack config value sets nothing.
describe("credential settings: switches, pairs and empty config", () => {
  const oidcKinds = (useOidc: string) =>
    resolveAzureSettings({ ARM_USE_OIDC: useOidc, ARM_OIDC_TOKEN: "jwt" }).proofs.map((p) => p.kind);

  it("reads ARM_USE_OIDC as true only for the whole word true, 1 or yes", () => {
    for (const on of ["true", "TRUE", "1", "Yes"]) assert.deepEqual(oidcKinds(on), ["oidcToken"], on);
    for (const off of ["untrue", "10", "yes please", "false", "0", ""]) assert.deepEqual(oidcKinds(off), [], off);
  });

  it("requests an OIDC token only with both the request URL and its token", () => {
    const url = "https://token.example/request";
    const kinds = (env: Record<string, string>) =>
      resolveAzureSettings({ ARM_USE_OIDC: "true", ...env }).proofs.map((p) => p.kind);
    assert.deepEqual(kinds({ ARM_OIDC_REQUEST_URL: url, ARM_OIDC_REQUEST_TOKEN: "t" }), ["oidcRequest"]);
    assert.deepEqual(kinds({ ARM_OIDC_REQUEST_URL: url }), []);
    assert.deepEqual(kinds({ ARM_OIDC_REQUEST_TOKEN: "t" }), []);
  });

  it("keeps the environment's value when the stack config value is empty", () => {
    const env = withStackConfig({ ARM_CLIENT_ID: "from-env" }, { "azure-native:clientId": "" });
    assert.equal(setting(env, "clientId"), "from-env");
    const unset = withStackConfig({}, { "azure-native:clientId": "" });
    assert.ok(!("AZURE_CLIENT_ID" in unset) && !("ARM_CLIENT_ID" in unset), JSON.stringify(unset));
  });
});
