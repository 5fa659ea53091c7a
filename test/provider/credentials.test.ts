/**
 * Every way of signing in that azure-native accepts, against the emulator's token endpoints, through the provider's
 * operations (loaded from source, so mutation testing sees provider/azure/client.ts; e2e tests cover the built
 * provider the engine loads) and the real @azure/identity credentials.
 * Each flow creates a template, and the emulator's request log shows which endpoint issued the token.
 */
import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { generate } from "selfsigned";
import { forgetConnections } from "../../provider/azure/client";
import * as provider from "../../provider/image-template/operations";
import { installAzureCli } from "../helpers/azure-cli";
import { startTestEmulator, trustEmulatorCertificate, type TestEmulator } from "../helpers/emulator";
import { templateArgs as linuxTemplateArgs } from "../fixtures/template-args";

type Bag = Record<string, unknown>;
const USER_AGENT = new RegExp(
  `^pulumi-azure-imagebuilder/${(JSON.parse(readFileSync(path.join(__dirname, "../../package.json"), "utf8")) as { version: string }).version}( |$)`,
);
const CREDENTIAL_VARIABLE = /^(AZURE|ARM|ACTIONS_ID_TOKEN|IDENTITY|MSI)_/;
const RG = "rg-sign-in";

/** A stack config as the engine hands it to `configure` (namespaced keys, string values). */
const stackConfig = (values: Record<string, string>) =>
  ({ config: { get: (key: string) => values[key] } }) as unknown as pulumi.dynamic.ConfigureRequest;

describe("signing in: every credential source azure-native accepts, against the emulator", function () {
  this.timeout(60_000);
  let emu: TestEmulator;
  let dir: string;
  let saved: Record<string, string | undefined>;

  before(async () => {
    emu = await startTestEmulator();
    trustEmulatorCertificate(emu.caPem);
    dir = await mkdtemp(path.join(tmpdir(), "sign-in-"));
    saved = Object.fromEntries(
      Object.keys(process.env)
        .filter((k) => CREDENTIAL_VARIABLE.test(k))
        .map((k) => [k, process.env[k]]),
    );
  });
  after(async () => {
    await provider.configure(stackConfig({}));
    for (const k of Object.keys(process.env)) if (CREDENTIAL_VARIABLE.test(k)) delete process.env[k];
    for (const [k, v] of Object.entries(saved ?? {})) if (v !== undefined) process.env[k] = v;
    await emu?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await emu.admin.reset();
    forgetConnections(); // each case signs in as a fresh provider process would
  });

  /** process.env with no credential variable but the emulator's endpoints and `variables`. */
  function signInWith(variables: Record<string, string>): void {
    for (const k of Object.keys(process.env)) if (CREDENTIAL_VARIABLE.test(k)) delete process.env[k];
    Object.assign(process.env, {
      AZURE_AUTHORITY_HOST: emu.url,
      AZURE_RESOURCE_MANAGER_ENDPOINT: emu.url,
      AZURE_IMAGEBUILDER_POLL_INTERVAL_MS: emu.env.AZURE_IMAGEBUILDER_POLL_INTERVAL_MS,
      ...variables,
    });
  }

  const principal = () => ({ ARM_TENANT_ID: emu.tenantId, ARM_CLIENT_ID: emu.clientId });

  /** check + create of a template named `name`; returns the identity endpoints the emulator answered, in order. */
  async function createTemplate(name: string, subscriptionId?: string, viaAz = false): Promise<string[]> {
    const logged = (await emu.admin.requests()).length;
    const news = linuxTemplateArgs(emu.subscriptionId, RG, { imageTemplateName: name });
    if (subscriptionId) news.subscriptionId = subscriptionId;
    const checked = await provider.check({}, news);
    assert.deepEqual(checked.failures ?? [], []);
    const created = await provider.create(checked.inputs as Bag);
    assert.equal(
      created.id,
      `/subscriptions/${emu.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.VirtualMachineImages/imageTemplates/${name}`,
    );
    assert.equal(((await emu.admin.state()).templates[0] as { name: string }).name, name);
    const log = (await emu.admin.requests()).slice(logged);
    // Whatever the source, Azure sees the provider's user agent on every request it makes (az's are az's own).
    for (const e of log.filter((e) => !(viaAz && e.kind === "identity"))) {
      assert.match(e.userAgent, USER_AGENT, `${e.method} ${e.path}: "${e.userAgent}"`);
    }
    return log
      .filter((e) => e.kind === "identity" && !/openid-configuration/.test(e.path))
      .map((e) => `${e.method} ${e.path}`);
  }

  const TOKEN = () => `POST /${emu.tenantId}/oauth2/v2.0/token`;

  /** A federated token from the emulator's GitHub-Actions-style request URL, as a CI job would hold it. */
  async function federatedToken(): Promise<string> {
    const response = await fetch(`${emu.oidcRequestUrl}&audience=api://AzureADTokenExchange`, {
      headers: { Authorization: `Bearer ${emu.oidcRequestToken}` },
    });
    assert.equal(response.status, 200);
    return ((await response.json()) as { value: string }).value;
  }

  // First: MSAL picks the managed identity source (App Service here) once per process.
  it("managed identity: ARM_USE_MSI with an App Service style IDENTITY_ENDPOINT, user-assigned by ARM_CLIENT_ID", async () => {
    signInWith({
      ARM_USE_MSI: "true",
      ARM_CLIENT_ID: emu.clientId,
      IDENTITY_ENDPOINT: emu.identityEndpoint,
      IDENTITY_HEADER: emu.identityHeader,
    });
    assert.deepEqual(await createTemplate("msi", emu.subscriptionId), ["GET /msi/token"]);
    const asked = (await emu.admin.requests()).find((e) => e.path === "/msi/token");
    assert.equal(new URLSearchParams(asked?.query).get("client_id"), emu.clientId, "the user-assigned identity named");
  });

  it("client secret from the ARM_* variables", async () => {
    signInWith({ ...principal(), ARM_CLIENT_SECRET: emu.clientSecret, ARM_SUBSCRIPTION_ID: emu.subscriptionId });
    assert.deepEqual(await createTemplate("secret"), [TOKEN()]);
  });

  it("client certificate from ARM_CLIENT_CERTIFICATE_PATH, and from AZURE_CLIENT_CERTIFICATE_PATH", async () => {
    signInWith({ ...principal(), ARM_CLIENT_CERTIFICATE_PATH: emu.clientCertificatePath });
    assert.deepEqual(await createTemplate("certificate", emu.subscriptionId), [TOKEN()]);
    await emu.admin.reset();
    signInWith({
      AZURE_TENANT_ID: emu.tenantId,
      AZURE_CLIENT_ID: emu.clientId,
      AZURE_CLIENT_CERTIFICATE_PATH: emu.clientCertificatePath,
    });
    assert.deepEqual(await createTemplate("certificate-sdk", emu.subscriptionId), [TOKEN()]);
  });

  it("client certificate whose key is encrypted, with ARM_CLIENT_CERTIFICATE_PASSWORD", async () => {
    const pem = await readFile(emu.clientCertificatePath, "utf8");
    const key = createPrivateKey(pem).export({
      type: "pkcs8",
      format: "pem",
      cipher: "aes-256-cbc",
      passphrase: "pfx-password",
    });
    const file = path.join(dir, "encrypted.pem");
    await writeFile(file, `${String(key)}${pem.slice(pem.indexOf("-----BEGIN CERTIFICATE-----"))}`);
    signInWith({ ...principal(), ARM_CLIENT_CERTIFICATE_PATH: file, ARM_CLIENT_CERTIFICATE_PASSWORD: "pfx-password" });
    assert.deepEqual(await createTemplate("certificate-password", emu.subscriptionId), [TOKEN()]);
  });

  it("a certificate the tenant does not know is refused, and the error lists every source", async () => {
    const other = await generate([{ name: "commonName", value: "stranger" }], { keySize: 2048, algorithm: "sha256" });
    const file = path.join(dir, "stranger.pem");
    await writeFile(file, `${other.private}${other.cert}`);
    signInWith({ ...principal(), ARM_CLIENT_CERTIFICATE_PATH: file });
    await assert.rejects(createTemplate("stranger", emu.subscriptionId), (e: Error) => {
      assert.match(e.message, /could not get an Azure token/);
      assert.match(
        e.message,
        /1\. client certificate \(ARM_CLIENT_CERTIFICATE_PATH.*\): failed: invalid_client: AADSTS700027/,
      );
      assert.match(e.message, /2\. managed identity .*: not configured: set ARM_USE_MSI=true/);
      assert.match(e.message, /3\. Azure CLI \(az login\): not tried: an earlier source you configured failed/);
      return true;
    });
    assert.deepEqual((await emu.admin.state()).templates, []);
  });

  it("OIDC: ARM_USE_OIDC with ARM_OIDC_TOKEN", async () => {
    signInWith({ ...principal(), ARM_USE_OIDC: "true", ARM_OIDC_TOKEN: await federatedToken() });
    assert.deepEqual(await createTemplate("oidc-token", emu.subscriptionId), [TOKEN()]);
  });

  it("OIDC: ARM_USE_OIDC with ARM_OIDC_TOKEN_FILE_PATH, and AZURE_FEDERATED_TOKEN_FILE alone", async () => {
    const file = path.join(dir, "federated-token");
    await writeFile(file, `${await federatedToken()}\n`);
    signInWith({ ...principal(), ARM_USE_OIDC: "true", ARM_OIDC_TOKEN_FILE_PATH: file });
    assert.deepEqual(await createTemplate("oidc-file", emu.subscriptionId), [TOKEN()]);
    await emu.admin.reset();
    signInWith({ AZURE_TENANT_ID: emu.tenantId, AZURE_CLIENT_ID: emu.clientId, AZURE_FEDERATED_TOKEN_FILE: file });
    assert.deepEqual(await createTemplate("workload-identity", emu.subscriptionId), [TOKEN()]);
  });

  it("OIDC: the GitHub Actions pair ARM_OIDC_REQUEST_TOKEN + ARM_OIDC_REQUEST_URL", async () => {
    signInWith({
      ...principal(),
      ARM_USE_OIDC: "true",
      ARM_OIDC_REQUEST_TOKEN: emu.oidcRequestToken,
      ARM_OIDC_REQUEST_URL: emu.oidcRequestUrl,
    });
    const requests = await createTemplate("oidc-request", emu.subscriptionId);
    // @azure/identity may ask for the assertion more than once per token; each ask is one request to the URL.
    assert.deepEqual(new Set(requests.slice(0, -1)), new Set(["GET /oidc/token"]));
    assert.equal(requests.at(-1), TOKEN());
  });

  it("OIDC: a token file that is not there fails sign-in naming the source", async () => {
    signInWith({ ...principal(), ARM_USE_OIDC: "true", ARM_OIDC_TOKEN_FILE_PATH: path.join(dir, "no-such-token") });
    await assert.rejects(
      createTemplate("oidc-no-file", emu.subscriptionId),
      /1\. OIDC token file \(ARM_OIDC_TOKEN_FILE_PATH \/ AZURE_FEDERATED_TOKEN_FILE\): failed: .*ENOENT/,
    );
  });

  it("nothing configured at all: the error says what to set for each source", async () => {
    signInWith({});
    await assert.rejects(createTemplate("unconfigured", emu.subscriptionId), (e: Error) => {
      assert.match(
        e.message,
        /1\. service principal: not configured: set ARM_TENANT_ID, ARM_CLIENT_ID and ARM_CLIENT_SECRET, ARM_CLIENT_CERTIFICATE_PATH or ARM_USE_OIDC with an OIDC token/,
      );
      assert.match(e.message, /2\. managed identity .*: not configured: set ARM_USE_MSI=true/);
      return true;
    });
  });

  it("OIDC: a request token the URL refuses fails sign-in naming the source and the answer", async () => {
    signInWith({
      ...principal(),
      ARM_USE_OIDC: "true",
      ARM_OIDC_REQUEST_TOKEN: "not-the-request-token",
      ARM_OIDC_REQUEST_URL: emu.oidcRequestUrl,
    });
    await assert.rejects(
      createTemplate("oidc-refused", emu.subscriptionId),
      /1\. OIDC token request \(ARM_OIDC_REQUEST_URL \+ ARM_OIDC_REQUEST_TOKEN\): failed: .*the OIDC request URL answered HTTP 401/,
    );
  });

  it("OIDC: a federated token from an issuer the tenant does not trust is refused", async () => {
    const [header, , signature] = (await federatedToken()).split(".");
    const forged = Buffer.from(JSON.stringify({ iss: "https://evil.example", aud: "api://AzureADTokenExchange" }));
    signInWith({
      ...principal(),
      ARM_USE_OIDC: "true",
      ARM_OIDC_TOKEN: `${header}.${forged.toString("base64url")}.${signature}`,
    });
    await assert.rejects(
      createTemplate("forged", emu.subscriptionId),
      /1\. OIDC token \(ARM_OIDC_TOKEN\): failed: invalid_client: AADSTS70021: No matching federated identity record/,
    );
  });

  it("Azure CLI: its login signs in and its default subscription is recorded when nothing names one", async () => {
    const bin = await installAzureCli(emu, dir);
    const savedPath = process.env.PATH;
    signInWith({});
    process.env.PATH = `${bin}${path.delimiter}${savedPath}`;
    forgetConnections(); // a provider process asks az for the subscription once
    try {
      // No variable names a credential: the one token request is the one az made.
      assert.deepEqual(await createTemplate("azure-cli", undefined, true), [TOKEN()]);
      const checked = await provider.check({}, linuxTemplateArgs(emu.subscriptionId, RG));
      assert.equal((checked.inputs as Bag).subscriptionId, emu.subscriptionId);
      // A subscription the environment names wins over az's default.
      const named = "00000000-0000-4000-8000-000000000001";
      process.env.ARM_SUBSCRIPTION_ID = named;
      const fromEnv = await provider.check({}, linuxTemplateArgs(emu.subscriptionId, RG));
      assert.equal((fromEnv.inputs as Bag).subscriptionId, named);
      delete process.env.ARM_SUBSCRIPTION_ID;
    } finally {
      process.env.PATH = savedPath;
      forgetConnections();
    }
    // Without az, and nothing else naming a subscription, check says what to set.
    const checked = await provider.check({}, linuxTemplateArgs(emu.subscriptionId, RG));
    assert.deepEqual(
      checked.failures?.map((f) => f.property),
      ["subscriptionId"],
    );
    assert.match(checked.failures![0].reason, /azure-native:subscriptionId/);
  });

  it("azure-native:* stack config alone (no credential variables): service principal, subscription, location", async () => {
    signInWith({});
    await provider.configure(
      stackConfig({
        "azure-native:tenantId": emu.tenantId,
        "azure-native:clientId": emu.clientId,
        "azure-native:clientSecret": emu.clientSecret,
        "azure-native:subscriptionId": emu.subscriptionId,
        "azure-native:location": "westus",
      }),
    );
    try {
      assert.deepEqual(await createTemplate("stack-config"), [TOKEN()]);
      const checked = await provider.check({}, { ...linuxTemplateArgs(emu.subscriptionId, RG), location: undefined });
      assert.equal((checked.inputs as Bag).location, "westus");
      assert.equal((checked.inputs as Bag).subscriptionId, emu.subscriptionId);
    } finally {
      await provider.configure(stackConfig({}));
    }
  });
});
