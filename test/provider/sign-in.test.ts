/**
 * Signing in from the environment, end to end against the emulator's token endpoint (real @azure/identity over
 * HTTPS): Terraform-style ARM_* variables alone, AZURE_* alone, and the chain's order when another source is signed
 * in too. "Another source" is the Azure CLI: a tiny `az` on PATH that answers `az account get-access-token` with a
 * token the emulator minted for a different application, as a machine where someone ran `az login` would.
 * Templates record who created them (systemData.createdBy), which tells the identities apart.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { forgetConnections } from "../../provider/azure/client";
import * as ops from "../../provider/image-template/operations";
import { templateArgs } from "../fixtures/template-args";
import { startTestEmulator, trustEmulatorCertificate, type TestEmulator } from "../helpers/emulator";

type Bag = Record<string, unknown>;
const RG = "rg-sign-in";
const CLI_APP = "00000000-0000-0000-0000-0000000000c1";

describe("sign-in from the environment (provider against the emulator's token endpoint)", function () {
  this.timeout(60_000);
  let emu: TestEmulator;
  let cliDir: string;
  const saved = { ...process.env };

  before(async () => {
    emu = await startTestEmulator();
    trustEmulatorCertificate(emu.caPem);
    const { accessToken } = await emu.admin.issueToken({ clientId: CLI_APP, lifetimeSeconds: 3600 });
    cliDir = mkdtempSync(path.join(tmpdir(), "fake-az-"));
    const answer = JSON.stringify({
      accessToken,
      expires_on: Math.floor(Date.now() / 1000) + 3600,
      expiresOn: new Date(Date.now() + 3_600_000).toISOString(),
      tokenType: "Bearer",
    });
    writeFileSync(path.join(cliDir, "az"), `#!/bin/sh\necho '${answer}'\n`);
    chmodSync(path.join(cliDir, "az"), 0o755);
  });
  after(async () => {
    process.env = saved;
    if (cliDir) rmSync(cliDir, { recursive: true, force: true });
    await emu?.stop();
  });
  beforeEach(async () => {
    await emu.admin.reset();
    forgetConnections(); // each case signs in as a fresh provider process would
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  /** process.env with the emulator's endpoints and only the given credential variables (and `az` when asked). */
  function environment(credentials: Record<string, string>, azLoggedIn = false): void {
    const env: Bag = Object.fromEntries(Object.entries(saved).filter(([k]) => !/^(AZURE|ARM|IDENTITY|MSI)_/.test(k)));
    process.env = {
      ...(env as NodeJS.ProcessEnv),
      AZURE_AUTHORITY_HOST: emu.env.AZURE_AUTHORITY_HOST,
      AZURE_RESOURCE_MANAGER_ENDPOINT: emu.env.AZURE_RESOURCE_MANAGER_ENDPOINT,
      AZURE_IMAGEBUILDER_POLL_INTERVAL_MS: emu.env.AZURE_IMAGEBUILDER_POLL_INTERVAL_MS,
      AZURE_IMAGEBUILDER_MAX_RETRIES: "0",
      PATH: azLoggedIn ? `${cliDir}${path.delimiter}${saved.PATH}` : saved.PATH,
      ...credentials,
    };
  }
  const arm = () => ({ ARM_TENANT_ID: emu.tenantId, ARM_CLIENT_ID: emu.clientId, ARM_CLIENT_SECRET: emu.clientSecret });
  const azure = () => ({
    AZURE_TENANT_ID: emu.tenantId,
    AZURE_CLIENT_ID: emu.clientId,
    AZURE_CLIENT_SECRET: emu.clientSecret,
  });

  /** Creates a template through the provider; returns the application the emulator saw as its creator. */
  async function createdBy(name: string): Promise<string> {
    const news = templateArgs(emu.subscriptionId, RG, {
      imageTemplateName: name,
      subscriptionId: emu.subscriptionId,
    });
    const { inputs } = await ops.check({}, news);
    await ops.create(inputs!);
    const template = (await emu.admin.state()).templates.find((t) => (t as Bag).name === name) as Bag;
    return (template.systemData as Bag).createdBy as string;
  }

  it("signs in with ARM_TENANT_ID, ARM_CLIENT_ID and ARM_CLIENT_SECRET alone", async () => {
    environment(arm());
    assert.equal(await createdBy("tpl-arm"), emu.clientId);
  });

  it("signs in with AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET alone", async () => {
    environment(azure());
    assert.equal(await createdBy("tpl-azure"), emu.clientId);
  });

  it("uses the CLI's sign-in when no service principal is configured (so the next case can tell them apart)", async () => {
    environment({}, true);
    assert.equal(await createdBy("tpl-cli"), CLI_APP);
  });

  it("puts the ARM_* service principal before the default chain: with az signed in too, the principal creates", async () => {
    environment(arm(), true);
    assert.equal(await createdBy("tpl-arm-first"), emu.clientId);
  });

  it("puts AZURE_* (EnvironmentCredential) before the CLI", async () => {
    environment(azure(), true);
    assert.equal(await createdBy("tpl-azure-first"), emu.clientId);
  });

  it("takes the ARM secret from ARM_CLIENT_SECRET: a wrong one fails sign-in even beside a right AZURE_CLIENT_SECRET", async () => {
    environment({ ...arm(), ARM_CLIENT_SECRET: "wrong", AZURE_CLIENT_SECRET: emu.clientSecret });
    await assert.rejects(
      createdBy("tpl-wrong"),
      /could not get an Azure token.*1\. client secret \(ARM_CLIENT_SECRET.*: failed: .*AADSTS7000215/s,
    );
    assert.deepEqual((await emu.admin.state()).templates, []);
  });

  it("does not make a service principal of ARM_* without ARM_CLIENT_SECRET: the default chain signs in (here: az)", async () => {
    environment({ ARM_TENANT_ID: emu.tenantId, ARM_CLIENT_ID: emu.clientId }, true);
    assert.equal(await createdBy("tpl-no-secret"), CLI_APP);
  });
});
