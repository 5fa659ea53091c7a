import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import { EmulatorAdmin } from "./admin-client";
import { TokenAuthority } from "./auth";
import { EmulatorContext, type Timing } from "./context";
import { DataDirClaim } from "./azurite-process";
import { BuildLogWriter } from "./build-log-writer";
import type { LogShape } from "./packer-log";
import { StateRepository } from "./store/state-repository";
import { MANAGED_IDENTITY_PATH, OIDC_REQUEST_PATH } from "./routes";
import { createServer } from "./server";
import { loadSignInMaterial } from "./sign-in";
import { type KeyMaterial, newKeyMaterial } from "./keys";
import { StagingStorage } from "./staging-storage";
import { AccountPool } from "./storage-accounts";
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS, isLoopback } from "./limits";
import { loadOrCreateTls } from "./tls";

export { EmulatorAdmin } from "./admin-client";
export type { AdminState, IssuedToken, TokenRequest } from "./admin-client";
export type { FaultRule, FaultKind } from "./faults";
export type { LogShape } from "./packer-log";
export type { RequestLogEntry, Timing } from "./context";
export { API_VERSION } from "./service";
export type { ConnectionLimits } from "./limits";
export { newKeyMaterial, type KeyMaterial } from "./keys";

export interface EmulatorOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on (default 127.0.0.1; the certificate covers 127.0.0.1, ::1 and localhost). */
  host?: string;
  /** Where state, certificate and credentials live; default: a fresh temp dir. Reusing it keeps all three. */
  dataDir?: string;
  /** How long create/update/delete LROs stay InProgress (default 1000). */
  lroDurationMs?: number;
  /** How long a build runs from Queued to Succeeded (default 6000). */
  buildDurationMs?: number;
  /** Retry-After on LRO responses and in-progress polls, in seconds (default 0: none, as the real service). */
  retryAfterSeconds?: number;
  /** PATCH answers 200 with the template at once, as API 2022-07-01 did (default false: 202 and an LRO). */
  syncPatch?: boolean;
  /** A trigger's DELETE answers 204 at once (default true, as recorded 2023 and 2025; false: 202 and an LRO). */
  syncTriggerDelete?: boolean;
  /** Lifetime of issued access tokens and OIDC request URL tokens (default 3600). */
  tokenLifetimeSeconds?: number;
  /** Items per page in list responses before a nextLink (default 50). */
  pageSize?: number;
  /** AZURE_IMAGEBUILDER_POLL_INTERVAL_MS put in `env` (default 50). */
  pollIntervalMs?: number;
  /** Suppress log lines (default false; logs go to stderr). */
  quiet?: boolean;
  /** The shape of build logs: "recent" (default; `PACKER {date} ui: …`) or "older" (`PACKER OUT …` / `PACKER ERR …`). */
  logShape?: LogShape;
  /**
   * Contents of the files templates' steps download, by URL: the checksums the service computes (and checks a given
   * one against) are theirs. Admin `registerFile` adds more; `reset` goes back to these.
   */
  files?: Record<string, string | Buffer>;
  /** Connection timeouts and cap (defaults: DEFAULT_CONNECTION_LIMITS in limits.ts). */
  connectionLimits?: Partial<ConnectionLimits>;
  /**
   * The RSA keys a new data dir gets, instead of new ones (newKeyMaterial): a process starting many emulators (a test
   * suite) makes them once. Tenant, client, secrets and TLS key stay each emulator's own; a data dir that has its keys
   * keeps them.
   */
  keys?: KeyMaterial;
}

export interface RunningEmulator {
  url: string;
  /**
   * The blob endpoint of the staging storage accounts (build logs) over HTTPS, path-style per account: the gateway
   * that checks bearer tokens in front of Azurite.
   */
  blobUrl: string;
  caCertPath: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  subscriptionId: string;
  /** The service principal's certificate and private key (PEM), for ARM_CLIENT_CERTIFICATE_PATH. */
  clientCertificatePath: string;
  /** A GitHub-Actions-style OIDC token request: ARM_OIDC_REQUEST_URL and ARM_OIDC_REQUEST_TOKEN (with ARM_USE_OIDC). */
  oidcRequestUrl: string;
  oidcRequestToken: string;
  /** An App Service style managed identity endpoint: IDENTITY_ENDPOINT and IDENTITY_HEADER (with ARM_USE_MSI). */
  identityEndpoint: string;
  identityHeader: string;
  /** Where state, certificate and keys live; a temp dir the emulator made itself is removed by stop(). */
  dataDir: string;
  /** Sent as x-emulator-admin-token with every admin call (EmulatorAdmin does); new on every start. */
  adminToken: string;
  /** Exactly the variables a process needs to use this emulator through the provider or the Azure SDK. */
  env: Record<string, string>;
  admin: EmulatorAdmin;
  stop(): Promise<void>;
}

export const DEFAULT_TIMING: Timing = {
  lroDurationMs: 1000,
  buildDurationMs: 6000,
  retryAfterSeconds: 0,
  syncPatch: false,
  syncTriggerDelete: true,
};

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  // A temp dir of its own (no dataDir given) holds keys and secrets no one will reuse: stop() removes it.
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), "imagebuilder-emulator-")));
  const removeOwnDataDir = () => (ownDataDir ? rm(dataDir, { recursive: true, force: true }) : Promise.resolve());
  // state.json holds customizer lines (secrets included) and the dir holds the keys: only the owner may read them.
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chmod(dataDir, 0o700);
  // Before anything reads or writes the dir: a dir another running emulator holds is refused.
  const claim = await DataDirClaim.take(dataDir);
  const log = options.quiet ? () => undefined : (m: string) => process.stderr.write(`[imagebuilder-emulator] ${m}\n`);
  // What has started so far, ended again if the start fails.
  let stopStorage = async (): Promise<void> => undefined;
  // Made once, and only when the data dir lacks a key.
  let made: Promise<KeyMaterial> | undefined;
  const newKeys = () => (made ??= options.keys ? Promise.resolve(options.keys) : newKeyMaterial());
  try {
    const [tls, auth, repository, signIn, accounts] = await Promise.all([
      loadOrCreateTls(dataDir),
      TokenAuthority.load(dataDir, options.tokenLifetimeSeconds ?? 3600, newKeys),
      StateRepository.open(path.join(dataDir, "state.json")),
      loadSignInMaterial(dataDir, newKeys),
      AccountPool.load(dataDir),
    ]);
    const timing: Timing = {
      lroDurationMs: options.lroDurationMs ?? DEFAULT_TIMING.lroDurationMs,
      buildDurationMs: options.buildDurationMs ?? DEFAULT_TIMING.buildDurationMs,
      retryAfterSeconds: options.retryAfterSeconds ?? DEFAULT_TIMING.retryAfterSeconds,
      syncPatch: options.syncPatch ?? DEFAULT_TIMING.syncPatch,
      syncTriggerDelete: options.syncTriggerDelete ?? DEFAULT_TIMING.syncTriggerDelete,
    };
    const limits = { ...DEFAULT_CONNECTION_LIMITS, ...options.connectionLimits };
    const ctx = new EmulatorContext(repository, auth, signIn, timing, options.pageSize ?? 50, log, options.files);
    ctx.logShape = options.logShape ?? "recent";
    const storage = await StagingStorage.start(claim, accounts, tls, auth, limits);
    const buildLogs = new BuildLogWriter(repository, storage, log, ctx.clock);
    [ctx.storage, ctx.buildLogs] = [storage, buildLogs];
    stopStorage = async () => {
      buildLogs.stop();
      await storage.stop();
    };
    const adminToken = randomBytes(32).toString("hex");
    const server = createServer(ctx, tls, adminToken, limits);
    const host = options.host ?? "127.0.0.1";
    if (!isLoopback(host)) {
      process.stderr.write(
        `[imagebuilder-emulator] WARNING: listening on ${host}, beyond loopback: anyone who can reach it can try the emulator's credentials; its admin API needs the admin token.\n`,
      );
    }
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const url = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
    ctx.url = url;
    const p = auth.principal;
    const env: Record<string, string> = {
      NODE_EXTRA_CA_CERTS: tls.certPath,
      AZURE_TENANT_ID: p.tenantId,
      AZURE_CLIENT_ID: p.clientId,
      AZURE_CLIENT_SECRET: p.clientSecret,
      AZURE_SUBSCRIPTION_ID: p.subscriptionId,
      ARM_TENANT_ID: p.tenantId,
      ARM_CLIENT_ID: p.clientId,
      ARM_CLIENT_SECRET: p.clientSecret,
      ARM_SUBSCRIPTION_ID: p.subscriptionId,
      AZURE_AUTHORITY_HOST: url,
      AZURE_RESOURCE_MANAGER_ENDPOINT: url,
      AZURE_IMAGEBUILDER_POLL_INTERVAL_MS: String(options.pollIntervalMs ?? 50),
    };
    log(`listening on ${url}, blob service on ${storage.url} (data dir ${dataDir})`);
    let stopped: Promise<void> | undefined;
    return {
      url,
      blobUrl: storage.url,
      caCertPath: tls.certPath,
      tenantId: p.tenantId,
      clientId: p.clientId,
      clientSecret: p.clientSecret,
      subscriptionId: p.subscriptionId,
      clientCertificatePath: signIn.clientCertificatePath,
      oidcRequestUrl: `${url}${OIDC_REQUEST_PATH}?api-version=2.0`,
      oidcRequestToken: signIn.oidcRequestToken,
      identityEndpoint: `${url}${MANAGED_IDENTITY_PATH}`,
      identityHeader: signIn.identityHeader,
      dataDir,
      adminToken,
      env,
      admin: new EmulatorAdmin(url, tls.cert, adminToken),
      stop() {
        stopped ??= (async () => {
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          });
          await stopStorage();
          await repository.drain();
          await claim.release();
          await removeOwnDataDir();
          log("stopped");
        })();
        return stopped;
      },
    };
  } catch (e) {
    await stopStorage();
    await claim.release();
    await removeOwnDataDir();
    throw e;
  }
}
