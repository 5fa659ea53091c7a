/**
 * Builds that outlast a sign-in token, against an emulator whose access and OIDC tokens live LIFETIME seconds (real
 * time: tokens keep the machine's clock) while a build lasts an hour of emulator time, ended by moving its clock.
 * Each sign-in that renews itself (client secret, certificate, OIDC request URL, a token file the platform rotates)
 * keeps the build wait going across several token lifetimes and records the build. (A managed identity is left out:
 * MSAL fixes its managed identity source and endpoint once per process, and credentials.test.ts holds that one.) A static
 * ARM_OIDC_TOKEN (Pulumi ESC's azure-login) cannot: once it expires mid-wait the update ends in one line saying what
 * expired, that the build goes on in Azure and how the next `up` takes it, with the template recorded; the next
 * update, signed in afresh, waits for that build and starts none. Operations loaded from source, real @azure/identity.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { forgetConnections } from "../../provider/azure/client";
import * as provider from "../../provider/image-template/operations";
import { startTestEmulator, trustEmulatorCertificate, type TestEmulator } from "../helpers/emulator";
import { templateArgs } from "../fixtures/template-args";
import type { PartialStateError } from "../helpers/capture";

type Bag = Record<string, unknown>;
const CREDENTIAL_VARIABLE = /^(AZURE|ARM|ACTIONS_ID_TOKEN|IDENTITY|MSI)_/;
const RG = "rg-long-build";
const LIFETIME_SECONDS = 3;
/** Token lifetimes the build wait must outlast before the test lets the build end. */
const LIFETIMES = 4;
const HOUR = 3_600_000;

describe("sign-in across a build longer than several token lifetimes", function () {
  this.timeout(120_000);
  let emu: TestEmulator;
  let dir: string;
  let saved: Record<string, string | undefined>;

  before(async () => {
    emu = await startTestEmulator({ tokenLifetimeSeconds: LIFETIME_SECONDS, buildDurationMs: HOUR });
    trustEmulatorCertificate(emu.caPem);
    dir = await mkdtemp(path.join(tmpdir(), "long-build-"));
    saved = Object.fromEntries(
      Object.keys(process.env)
        .filter((k) => CREDENTIAL_VARIABLE.test(k))
        .map((k) => [k, process.env[k]]),
    );
  });
  after(async () => {
    for (const k of Object.keys(process.env)) if (CREDENTIAL_VARIABLE.test(k)) delete process.env[k];
    for (const [k, v] of Object.entries(saved ?? {})) if (v !== undefined) process.env[k] = v;
    await emu?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await emu.admin.reset();
  });

  /** process.env with no credential variable but the emulator's endpoints and `variables`; a fresh provider process. */
  function signInWith(variables: Record<string, string>): void {
    for (const k of Object.keys(process.env)) if (CREDENTIAL_VARIABLE.test(k)) delete process.env[k];
    Object.assign(process.env, {
      AZURE_AUTHORITY_HOST: emu.url,
      AZURE_RESOURCE_MANAGER_ENDPOINT: emu.url,
      AZURE_IMAGEBUILDER_POLL_INTERVAL_MS: emu.env.AZURE_IMAGEBUILDER_POLL_INTERVAL_MS,
      ARM_SUBSCRIPTION_ID: emu.subscriptionId,
      ...variables,
    });
    forgetConnections();
  }
  const principal = () => ({ ARM_TENANT_ID: emu.tenantId, ARM_CLIENT_ID: emu.clientId });
  const secret = () => ({ ...principal(), ARM_CLIENT_SECRET: emu.clientSecret });

  /** A federated token from the emulator's OIDC request URL (it lives LIFETIME_SECONDS, like a CI job's). */
  async function federatedToken(): Promise<string> {
    const response = await fetch(`${emu.oidcRequestUrl}&audience=api://AzureADTokenExchange`, {
      headers: { Authorization: `Bearer ${emu.oidcRequestToken}` },
    });
    assert.equal(response.status, 200);
    return ((await response.json()) as { value: string }).value;
  }

  const checked = async (name: string, build?: Bag, olds: Bag = {}) => {
    const { inputs, failures } = await provider.check(
      olds,
      templateArgs(emu.subscriptionId, RG, { imageTemplateName: name, ...(build ? { build } : {}) }),
    );
    assert.deepEqual(failures ?? [], []);
    return inputs as Bag;
  };
  const BUILD = { when: "onCreate", trigger: "1", logs: "off" };
  const runPosts = async (name: string) =>
    (await emu.admin.requests()).filter((r) => r.method === "POST" && r.path.endsWith(`/${name}/run`)).length;

  /** A template made with a secret sign-in (so the create never races a short token); then an update owing a build. */
  async function templateOwingABuild(name: string) {
    signInWith(secret());
    const created = await provider.create(await checked(name));
    return { id: created.id, olds: created.outs as Bag, news: await checked(name, BUILD, created.outs as Bag) };
  }

  /** Token requests answered while the build was waited for, and the time they span. */
  async function tokenSpanSeconds(since: number): Promise<number> {
    const times = (await emu.admin.requests())
      .filter((r) => r.kind === "identity" && r.status === 200 && Date.parse(r.time) >= since)
      .filter((r) => /\/token$/.test(r.path))
      .map((r) => Date.parse(r.time));
    return times.length < 2 ? 0 : (Math.max(...times) - Math.min(...times)) / 1000;
  }

  /** Runs the owed build under the current sign-in across LIFETIMES token lifetimes, then lets it end. */
  async function buildAcrossLifetimes(name: string, signIn: () => Promise<void> | void, during?: () => Promise<void>) {
    const { id, olds, news } = await templateOwingABuild(name);
    await signIn();
    const started = Date.now();
    const update = provider.update(id, olds, news).then(
      (value) => ({ value, error: undefined }),
      (error: unknown) => ({ value: undefined, error }),
    );
    while (Date.now() - started < LIFETIMES * LIFETIME_SECONDS * 1000) {
      await (during?.() ?? delay(250));
      await delay(250);
    }
    await emu.admin.advanceClock(HOUR);
    const { value, error } = await update;
    assert.equal(error, undefined, String((error as Error)?.message));
    assert.equal(value?.outs?.lastRunStatusRunState, "Succeeded");
    assert.ok(value?.outs?.runOutputs, "run outputs recorded");
    assert.equal(await runPosts(name), 1);
    const span = await tokenSpanSeconds(started);
    assert.ok(span >= (LIFETIMES - 1) * LIFETIME_SECONDS, `tokens renewed across the wait (span ${span} s)`);
  }

  it("client secret", () => buildAcrossLifetimes("secret", () => signInWith(secret())));

  it("client certificate", () =>
    buildAcrossLifetimes("certificate", () =>
      signInWith({ ...principal(), ARM_CLIENT_CERTIFICATE_PATH: emu.clientCertificatePath }),
    ));

  it("OIDC request URL (GitHub Actions): a new federated token for every access token", () =>
    buildAcrossLifetimes("oidc-request", () =>
      signInWith({
        ...principal(),
        ARM_USE_OIDC: "true",
        ARM_OIDC_REQUEST_URL: emu.oidcRequestUrl,
        ARM_OIDC_REQUEST_TOKEN: emu.oidcRequestToken,
      }),
    ));

  it("OIDC token file the platform rotates: read again for every access token", async () => {
    const file = path.join(dir, "federated-token");
    const rotate = async () => writeFile(file, `${await federatedToken()}\n`);
    await buildAcrossLifetimes(
      "oidc-file",
      async () => {
        await rotate();
        signInWith({ ...principal(), ARM_USE_OIDC: "true", ARM_OIDC_TOKEN_FILE_PATH: file });
      },
      rotate,
    );
  });

  it("a static ARM_OIDC_TOKEN that expires mid-wait: one actionable line, the template recorded; the next up takes the build", async () => {
    const name = "static-oidc";
    const { id, olds, news } = await templateOwingABuild(name);
    signInWith({ ...principal(), ARM_USE_OIDC: "true", ARM_OIDC_TOKEN: await federatedToken() });
    let failure: PartialStateError | undefined;
    try {
      await provider.update(id, olds, news);
    } catch (e) {
      failure = e as PartialStateError;
    }
    assert.ok(failure, "the wait stopped once the token expired");
    assert.doesNotMatch(failure.message, /\n/, "one line");
    assert.match(
      failure.message,
      new RegExp(
        `^Waiting for the image build of image template "${name}" \\(resource group "${RG}", subscription ${emu.subscriptionId}\\) stopped: the OIDC token in ARM_OIDC_TOKEN \\(azure-native:oidcToken\\) expired at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z, and a static token cannot be renewed\\. The build goes on in Azure and the template is recorded: run pulumi up again with a fresh token`,
      ),
    );
    assert.equal(failure.id, id, "recorded under its id");
    assert.equal(failure.properties.buildPending, true);
    const live = (await emu.admin.state()).templates[0] as { properties: { lastRunStatus?: { runState?: string } } };
    assert.equal(live.properties.lastRunStatus?.runState, "Running", "the build goes on");

    // The next up, signed in afresh: it waits for that build (ended by the clock) and starts no other.
    signInWith({ ...principal(), ARM_USE_OIDC: "true", ARM_OIDC_TOKEN: await federatedToken() });
    const next = provider.update(id, failure.properties, news);
    await emu.admin.advanceClock(HOUR);
    const { outs } = await next;
    assert.equal(outs?.lastRunStatusRunState, "Succeeded");
    assert.notEqual(outs?.buildPending, true);
    assert.equal(await runPosts(name), 1);
  });
});
