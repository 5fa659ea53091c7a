/**
 * Builds that outlast a sign-in token, against an emulator whose access and OIDC tokens live LIFETIME seconds (real
 * time: tokens keep the machine's clock) while a build lasts an hour of emulator time, ended by moving its clock once
 * the emulator's request log shows the wait's tokens spanning LIFETIMES token lifetimes. Each sign-in that renews
 * itself (client secret, certificate, OIDC request URL, a token file the platform rotates, a managed identity, the
 * Azure CLI) keeps the build wait going across them and records the build. A managed identity and the Azure CLI sign
 * in in a provider process of their own (fixtures/update-process.ts), as a fresh `pulumi up` does: MSAL keeps a
 * process's managed identity source and tokens in static state. A static ARM_OIDC_TOKEN (Pulumi ESC's azure-login)
 * cannot renew: once it expires mid-wait the update ends in one line saying what expired, that the build goes on in
 * Azure and how the next `up` takes it, with the template recorded; the next update, signed in afresh, waits for that
 * build and starts none. Operations loaded from source, real @azure/identity.
 */
import assert from "node:assert/strict";
import { type ChildProcess, fork } from "node:child_process";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { forgetConnections } from "../../provider/azure/client";
import { userAgentPrefix } from "../../provider/azure/user-agent";
import * as provider from "../../provider/image-template/operations";
import { installAzureCli } from "../helpers/azure-cli";
import { startTestEmulator, trustEmulatorCertificate, type TestEmulator } from "../helpers/emulator";
import { templateArgs } from "../fixtures/template-args";
import type { PartialStateError } from "../helpers/capture";
import { TYPESCRIPT_ARGS } from "../helpers/transpile";
import type { RequestLogEntry } from "../../emulator/context";

type Bag = Record<string, unknown>;
/** Runs the owed build's update under some sign-in; resolves with its outs. */
type Update = (id: string, olds: Bag, news: Bag) => Promise<Bag>;
const CREDENTIAL_VARIABLE = /^(AZURE|ARM|ACTIONS_ID_TOKEN|IDENTITY|MSI)_/;
/** Which of the emulator's answered requests issued the access tokens of the sign-in under test. */
type Issued = (r: RequestLogEntry) => boolean;
const byProvider: Issued = (r) => r.userAgent.startsWith(userAgentPrefix());
const UPDATE_PROCESS = path.join(__dirname, "fixtures/update-process.ts");
const RG = "rg-long-build";
const LIFETIME_SECONDS = 3;
/** Token lifetimes the build wait must outlast before the test lets the build end. */
const LIFETIMES = 4;
const HOUR = 3_600_000;
/** core-rest-pipeline's token cycler: a renewal it runs in the background tries again every 3 s until its token expires. */
const RENEWAL_RETRY_MS = 3_000;

describe("sign-in across a build longer than several token lifetimes", function () {
  this.timeout(120_000);
  let emu: TestEmulator;
  let dir: string;
  let saved: Record<string, string | undefined>;
  /**
   * The Azure SDK renews a token near its end in the background and awaits that renewal only when a request needs the
   * token; one still running when the update has ended makes its last attempt once its token has expired, and rejects
   * with nothing awaiting it if that attempt fails. This file's in-process sign-ins leave such renewals behind; they are
   * collected here and let end before the emulator stops, so none rejects in the next file this worker runs (an
   * inline Pulumi program there takes an unhandled rejection for its own error). Only a static token's can fail.
   */
  const abandoned: unknown[] = [];
  const collect = (reason: unknown) => void abandoned.push(reason);

  before(async () => {
    process.on("unhandledRejection", collect);
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
    await delay(LIFETIME_SECONDS * 1000 + RENEWAL_RETRY_MS + 1000);
    process.off("unhandledRejection", collect);
    for (const reason of abandoned) {
      assert.match(
        String((reason as Error)?.message ?? reason),
        /ARM_OIDC_TOKEN/,
        "only the static token's renewal fails",
      );
    }
    for (const k of Object.keys(process.env)) if (CREDENTIAL_VARIABLE.test(k)) delete process.env[k];
    for (const [k, v] of Object.entries(saved ?? {})) if (v !== undefined) process.env[k] = v;
    await emu?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await emu.admin.reset();
  });

  /** The emulator's endpoints and `variables`, as the only credential variables of an environment. */
  const signInEnv = (variables: Record<string, string>) => ({
    AZURE_AUTHORITY_HOST: emu.url,
    AZURE_RESOURCE_MANAGER_ENDPOINT: emu.url,
    AZURE_IMAGEBUILDER_POLL_INTERVAL_MS: emu.env.AZURE_IMAGEBUILDER_POLL_INTERVAL_MS,
    ARM_SUBSCRIPTION_ID: emu.subscriptionId,
    ...variables,
  });

  /** process.env with no credential variable but signInEnv(variables); as a fresh provider process signs in. */
  function signInWith(variables: Record<string, string>): void {
    for (const k of Object.keys(process.env)) if (CREDENTIAL_VARIABLE.test(k)) delete process.env[k];
    Object.assign(process.env, signInEnv(variables));
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

  /** A request to Entra ID's token endpoint (not the OIDC request URL, whose tokens are only assertions). */
  const tokenEndpoint: Issued = (r) => r.path === `/${emu.tenantId}/oauth2/v2.0/token`;

  /** Access tokens `issued` since `since` (ms), and the seconds they span. */
  async function tokensSince(
    since: number,
    issued: Issued,
  ): Promise<{ tokens: RequestLogEntry[]; spanSeconds: number }> {
    const tokens = (await emu.admin.requests()).filter(
      (r) => r.kind === "identity" && r.status === 200 && Date.parse(r.time) >= since && issued(r),
    );
    const times = tokens.map((r) => Date.parse(r.time));
    return { tokens, spanSeconds: times.length < 2 ? 0 : (Math.max(...times) - Math.min(...times)) / 1000 };
  }

  /** The update in this process, signed in by `signIn`. */
  const inThisProcess =
    (signIn: () => Promise<void> | void): Update =>
    async (id, olds, news) => {
      await signIn();
      return (await provider.update(id, olds, news)).outs as Bag;
    };

  const children = new Set<ChildProcess>();
  afterEach(() => {
    for (const child of children) child.kill("SIGKILL");
  });

  /** The update in a provider process of its own whose environment signs in only by signInEnv(variables). */
  const inFreshProcess =
    (variables: Record<string, string>): Update =>
    (id, olds, news) =>
      new Promise((resolve, reject) => {
        const inherited = Object.entries(process.env).filter(([k]) => !CREDENTIAL_VARIABLE.test(k));
        const child = fork(UPDATE_PROCESS, {
          cwd: path.resolve(__dirname, "../.."),
          execArgv: TYPESCRIPT_ARGS,
          env: {
            ...Object.fromEntries(inherited),
            NODE_EXTRA_CA_CERTS: emu.env.NODE_EXTRA_CA_CERTS,
            ...signInEnv(variables),
          },
          stdio: ["ignore", "pipe", "pipe", "ipc"],
        });
        children.add(child);
        let output = "";
        child.stdout!.on("data", (c: Buffer) => (output += c));
        child.stderr!.on("data", (c: Buffer) => (output += c));
        child.once("message", (answer: { outs?: Bag; error?: string }) =>
          answer.error === undefined ? resolve(answer.outs!) : reject(new Error(answer.error)),
        );
        child.once("exit", (code) => {
          children.delete(child);
          reject(new Error(`the update's process exited (${code}) without an answer:\n${output}`));
        });
        child.send({ id, olds, news });
      });

  /**
   * Runs the owed build's update until the access tokens of its wait (the requests `issued` tells apart: a token the
   * test process's own connection renews in the background is not the sign-in's) span LIFETIMES token lifetimes, each
   * request needing a token the earlier ones outlived; then lets the build end. `during` runs while it waits.
   */
  async function buildAcrossLifetimes(
    name: string,
    update: Update,
    {
      issued = (r) => tokenEndpoint(r) && byProvider(r),
      during,
    }: { issued?: Issued; during?: () => Promise<unknown> } = {},
  ) {
    const { id, olds, news } = await templateOwingABuild(name);
    const started = Date.now();
    let settled = false;
    const result = update(id, olds, news).then(
      (outs) => ({ outs, error: undefined }),
      (error: unknown) => ({ outs: undefined, error }),
    );
    void result.then(() => (settled = true));
    // `during` keeps going until the update ends, beside the checks of the log: the update's last token requests
    // (after the clock moved) need it as much as the first ones.
    const alongside = (async () => {
      while (during && !settled) {
        await during();
        await delay(250);
      }
    })();
    while (!settled && (await tokensSince(started, issued)).spanSeconds < LIFETIMES * LIFETIME_SECONDS) {
      await delay(250);
    }
    await emu.admin.advanceClock(HOUR);
    const { outs, error } = await result;
    await alongside;
    assert.equal(error, undefined, String((error as Error)?.message));
    assert.equal(outs?.lastRunStatusRunState, "Succeeded");
    assert.ok(outs?.runOutputs, "run outputs recorded");
    assert.equal(await runPosts(name), 1);
    const { tokens, spanSeconds } = await tokensSince(started, issued);
    assert.ok(spanSeconds >= LIFETIMES * LIFETIME_SECONDS, `tokens renewed across the wait (span ${spanSeconds} s)`);
    assert.ok(tokens.length > LIFETIMES, `a new token for each lifetime (${tokens.length})`);
  }

  it("client secret", () =>
    buildAcrossLifetimes(
      "secret",
      inThisProcess(() => signInWith(secret())),
    ));

  it("client certificate", () =>
    buildAcrossLifetimes(
      "certificate",
      inThisProcess(() => signInWith({ ...principal(), ARM_CLIENT_CERTIFICATE_PATH: emu.clientCertificatePath })),
    ));

  it("OIDC request URL (GitHub Actions): a new federated token for every access token", () =>
    buildAcrossLifetimes(
      "oidc-request",
      inThisProcess(() =>
        signInWith({
          ...principal(),
          ARM_USE_OIDC: "true",
          ARM_OIDC_REQUEST_URL: emu.oidcRequestUrl,
          ARM_OIDC_REQUEST_TOKEN: emu.oidcRequestToken,
        }),
      ),
    ));

  it("OIDC token file the platform rotates: read again for every access token", async () => {
    const file = path.join(dir, "federated-token");
    // As the kubelet rotates a projected token: written aside, then swapped in, so no read sees half a file.
    let rotations = 0;
    const rotate = async () => {
      const next = `${file}.${++rotations}`;
      await writeFile(next, `${await federatedToken()}\n`);
      await rename(next, file);
    };
    await buildAcrossLifetimes(
      "oidc-file",
      inThisProcess(async () => {
        await rotate();
        signInWith({ ...principal(), ARM_USE_OIDC: "true", ARM_OIDC_TOKEN_FILE_PATH: file });
      }),
      { during: rotate },
    );
  });

  it("managed identity (App Service endpoint, user-assigned), in a fresh provider process: asked again for every token", () =>
    buildAcrossLifetimes(
      "msi",
      inFreshProcess({
        ARM_USE_MSI: "true",
        ARM_CLIENT_ID: emu.clientId,
        IDENTITY_ENDPOINT: emu.identityEndpoint,
        IDENTITY_HEADER: emu.identityHeader,
      }),
      { issued: (r) => r.path === "/msi/token" && byProvider(r) },
    ));

  it("Azure CLI (az login), in a fresh provider process: az asked again for every token", async () => {
    const bin = await installAzureCli(emu, dir);
    await buildAcrossLifetimes("azure-cli", inFreshProcess({ PATH: `${bin}${path.delimiter}${process.env.PATH}` }), {
      // az's own requests (it sends no provider user agent): the provider holds no credential of its own here.
      issued: (r) => tokenEndpoint(r) && !byProvider(r),
    });
  });

  it("an access token that expires on its way to ARM: a token asked for afresh and the request sent once more", async () => {
    const name = "expired-on-the-way";
    signInWith(secret());
    const created = await provider.create(await checked(name));
    // Held at the front door longer than a token lives: whatever token the request carries has expired when ARM checks it.
    await emu.admin.injectFault({
      method: "GET",
      path: `/imageTemplates/${name}$`,
      kind: "slow",
      delayMs: (LIFETIME_SECONDS + 1) * 1000,
    });
    await emu.admin.clearRequests();
    const { props } = await provider.read(created.id, created.outs as Bag);
    assert.equal(props?.imageTemplateName, name);
    const reads = (await emu.admin.requests()).filter((r) => r.method === "GET" && r.path.endsWith(`/${name}`));
    assert.deepEqual(
      reads.map((r) => r.status),
      [401, 200],
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
