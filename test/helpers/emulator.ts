/**
 * Test helper: start an emulator and talk to it from THIS process with TLS verification on.
 *
 * NODE_EXTRA_CA_CERTS is read once at process start, so a test process cannot use it for an emulator it starts
 * itself. Two honest ways to trust the emulator's self-signed certificate in-process, both used here:
 *
 * 1. Per client (`sdkOptions()`): the Azure SDK pipeline accepts `tlsOptions` (core-rest-pipeline's tlsPolicy),
 *    which it passes to the https.Agent it creates; `ca` = Node's root store + the emulator certificate. Used by the
 *    clients this helper builds.
 * 2. Process-wide (`trustEmulatorCertificate()`): for code that builds its own clients from the environment (the
 *    provider). core-rest-pipeline creates its own https.Agent (so `https.globalAgent.options.ca` is NOT honoured);
 *    every agent ends in `tls.createSecureContext`, so we wrap it to add the emulator certificate when the caller
 *    gave no `ca`, which is exactly what NODE_EXTRA_CA_CERTS does at startup. Verification stays on.
 *
 * Child processes (e.g. the Pulumi CLI) simply get `emu.env`, whose NODE_EXTRA_CA_CERTS works there.
 */
// `import =` keeps the real module object: a namespace import would be a read-only copy we could not patch.
import tls = require("node:tls");
import { readFileSync, rmSync } from "node:fs";
import { ClientSecretCredential } from "@azure/identity";
import { ImageBuilderClient } from "@azure/arm-imagebuilder";
import { BlobClient, type StoragePipelineOptions } from "@azure/storage-blob";
import {
  newKeyMaterial,
  startEmulator,
  type EmulatorOptions,
  type KeyMaterial,
  type RunningEmulator,
} from "../../emulator";
import { forgetConnections } from "../../provider/azure/client";

export interface TestEmulator extends RunningEmulator {
  caPem: string;
  /** Options for any Azure SDK client/credential: trust the emulator's certificate explicitly. */
  sdkOptions(): { tlsOptions: { ca: string[] } };
  credential(): ClientSecretCredential;
  /** An ImageBuilderClient for the emulator's subscription (or another one). */
  client(subscriptionId?: string): ImageBuilderClient;
  /** A blob (a build log) in the emulator's Azurite, read with a bearer token from the emulator for the storage scope. */
  blob(url: string): BlobClient;
  /** Poll options for SDK pollers, using the env's small interval. */
  poll: { updateIntervalInMs: number };
}

/**
 * Set by `npm run test:mutation` only (test/mutation/run.ts). Stryker reruns a suite's hooks for every mutant, and
 * starting an emulator (its keys, and an Azurite process once a blob is used) was most of the run's CPU. With
 * it, stopping a test emulator resets it to a fresh start's state (admin reset) and keeps it for the next start with
 * the same options in this process. Stryker's dry run runs every suite this way before the first mutant, so a test that needed a fresh
 * process would fail there, not count as a kill.
 */
const REUSE = process.env.IMAGEBUILDER_TEST_REUSE_EMULATORS === "1";
const idle = new Map<string, RunningEmulator[]>();

async function startOrReuse(options: EmulatorOptions): Promise<RunningEmulator> {
  if (!REUSE || options.dataDir !== undefined || options.port !== undefined) return startEmulator(options);
  const key = JSON.stringify(options);
  const emu = idle.get(key)?.pop() ?? (await startKept(options));
  return {
    ...emu,
    async stop() {
      await emu.admin.reset();
      idle.set(key, [...(idle.get(key) ?? []), emu]);
    },
  };
}

/** An emulator never stopped: its temp data dir goes with the process (Azurite already does). */
async function startKept(options: EmulatorOptions): Promise<RunningEmulator> {
  const emu = await startEmulator(options);
  process.once("exit", () => rmSync(emu.dataDir, { recursive: true, force: true }));
  return emu;
}

/**
 * The RSA keys of every emulator this process starts (two RSA-2048 keys, up to 0.6 s of CPU, for each of about 90
 * emulators a floor run starts). Each emulator keeps its own tenant, client, secrets and TLS key, so a token one of
 * them issued is refused by another.
 */
let keys: Promise<KeyMaterial> | undefined;

/** Fast defaults for tests: short LROs and builds, Retry-After 0 so the SDK polls at `poll.updateIntervalInMs`. */
export async function startTestEmulator(options: EmulatorOptions = {}): Promise<TestEmulator> {
  const emu = await startOrReuse({
    quiet: true,
    lroDurationMs: 100,
    buildDurationMs: 600,
    retryAfterSeconds: 0,
    keys: await (keys ??= newKeyMaterial()),
    ...options,
  });
  const caPem = readFileSync(emu.caCertPath, "utf8");
  const sdkOptions = () => ({ tlsOptions: { ca: [...tls.rootCertificates, caPem] } });
  const credential = () =>
    new ClientSecretCredential(emu.tenantId, emu.clientId, emu.clientSecret, {
      authorityHost: emu.url,
      disableInstanceDiscovery: true,
      ...sdkOptions(),
    });
  const stop = emu.stop;
  return {
    ...emu,
    caPem,
    sdkOptions,
    credential,
    client: (subscriptionId = emu.subscriptionId) =>
      new ImageBuilderClient(credential(), subscriptionId, { endpoint: emu.url, ...sdkOptions() }),
    // Storage's pipeline options are handed on to core-rest-pipeline, whose tlsPolicy applies `tlsOptions`.
    blob: (url) => new BlobClient(url, credential(), sdkOptions() as StoragePipelineOptions),
    poll: { updateIntervalInMs: Number(emu.env.AZURE_IMAGEBUILDER_POLL_INTERVAL_MS) },
    async stop() {
      if (!REUSE) emu.admin.close();
      await stop();
    },
  };
}

let trusted: string | undefined;
let installed = false;

/**
 * Makes every TLS connection in this process that brings no `ca` of its own also trust `caPem`. Only the latest
 * emulator's certificate is trusted: every emulator's certificate has the same subject, and OpenSSL then checks just
 * one of them, so trusting two made connections to the second fail ("self-signed certificate") when suites ran in one
 * process (`npm test`).
 */
export function trustEmulatorCertificate(caPem: string): void {
  trusted = caPem;
  if (installed) return;
  installed = true;
  const original = tls.createSecureContext;
  tls.createSecureContext = (options?: tls.SecureContextOptions) =>
    original(options?.ca ? options : { ...options, ca: [...tls.rootCertificates, trusted!] });
}

/** Puts the emulator's env into process.env (for code reading it at call time); returns a function restoring it. */
export function applyEmulatorEnv(emu: RunningEmulator): () => void {
  const saved = Object.fromEntries(Object.keys(emu.env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, emu.env);
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/**
 * Mocha hooks for a suite that drives the provider in this process: an emulator started before its tests, its
 * certificate trusted and its environment applied, its state reset before each test, all undone after the suite.
 */
export function emulatorForProvider(options: EmulatorOptions = {}): () => TestEmulator {
  let emu: TestEmulator;
  let restoreEnv: () => void;
  before(async () => {
    emu = await startTestEmulator(options);
    trustEmulatorCertificate(emu.caPem);
    restoreEnv = applyEmulatorEnv(emu);
  });
  after(async () => {
    restoreEnv?.();
    await emu?.stop();
  });
  beforeEach(async () => {
    await emu.admin.reset();
    // Each test signs in as a fresh provider process would: no connection (client, credential, token) of an earlier
    // test, or, under mutation testing, of an earlier mutant's run of this test.
    forgetConnections();
  });
  return () => emu;
}
