import { createHash, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import {
  BlobServiceClient,
  StorageSharedKeyCredential,
  type AppendBlobClient,
  type ContainerClient,
  type StoragePipelineOptions,
} from "@azure/storage-blob";
import type { TokenAuthority } from "./auth";
import { AzuriteProcess } from "./azurite-process";
import { BlobGateway } from "./blob-gateway";
import type { ConnectionLimits } from "./limits";
import type { TlsMaterial } from "./tls";

/*
 * The staging storage accounts build logs live in, served by a real blob service: Azurite, a child process over HTTPS
 * with the emulator's certificate (azurite-process.ts), behind the emulator's gateway that admits only bearer tokens
 * the emulator signed (blob-gateway.ts). Azurite learns its accounts only from its start-up environment
 * (AZURITE_ACCOUNTS), so the emulator declares a fixed pool of service-like random names (kept in the data dir) and
 * gives each staging resource group one. The emulator's own log writer talks to Azurite directly with the key.
 */

export interface StorageAccount {
  name: string;
  key: string;
}

const POOL_SIZE = 32;

async function loadAccounts(file: string): Promise<StorageAccount[]> {
  try {
    return JSON.parse(await fs.readFile(file, "utf8")) as StorageAccount[];
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  // Like the service's staging accounts: 24 lower-case letters and digits.
  const accounts = Array.from({ length: POOL_SIZE }, () => ({
    name: randomBytes(12).toString("hex"),
    key: randomBytes(64).toString("base64"),
  }));
  await fs.writeFile(file, JSON.stringify(accounts), { mode: 0o600 });
  return accounts;
}

export class StagingStorage {
  private readonly clients = new Map<string, BlobServiceClient>();

  private constructor(
    /** The gateway's base URL; accounts are path-style below it, as `primaryEndpoints.blob` says. */
    readonly url: string,
    private readonly accounts: StorageAccount[],
    private readonly azurite: AzuriteProcess,
    private readonly gateway: BlobGateway,
    private readonly caPem: string,
  ) {}

  /** Starts Azurite (data in `{dataDir}/blobs`) and the gateway in front of it on free loopback ports. */
  static async start(
    dataDir: string,
    tls: TlsMaterial,
    auth: TokenAuthority,
    limits: ConnectionLimits,
  ): Promise<StagingStorage> {
    const accounts = await loadAccounts(path.join(dataDir, "storage-accounts.json"));
    const azurite = await AzuriteProcess.start({
      dataDir,
      certPath: tls.certPath,
      keyPath: path.join(dataDir, "key.pem"),
      accounts: accounts.map((a) => `${a.name}:${a.key}`).join(";"),
    });
    const byName = new Map(accounts.map((a) => [a.name, a]));
    const gateway = new BlobGateway(auth, byName, azurite.url, tls, limits);
    const url = await gateway.listen().catch(async (e: unknown) => {
      await azurite.stop();
      throw e;
    });
    return new StagingStorage(url, accounts, azurite, gateway, tls.cert);
  }

  /** The account of a staging resource group (by its id): the same one on every read and after a restart. */
  accountFor(stagingGroupId: string): StorageAccount {
    const h = createHash("sha256").update(stagingGroupId.toLowerCase()).digest();
    return this.accounts[h.readUInt32BE(0) % this.accounts.length];
  }

  /** `primaryEndpoints.blob`: the gateway. */
  blobEndpoint(account: string): string {
    return `${this.url}/${account}/`;
  }

  /** The emulator's own writer: the account key, and the emulator's certificate trusted for this client only. */
  container(account: StorageAccount, name: string): ContainerClient {
    let client = this.clients.get(account.name);
    if (!client) {
      // core-client passes pipeline options through to core-rest-pipeline, whose tlsPolicy applies `tlsOptions`.
      const options: StoragePipelineOptions & { tlsOptions: { ca: string } } = { tlsOptions: { ca: this.caPem } };
      client = new BlobServiceClient(
        `${this.azurite.url}/${account.name}/`,
        new StorageSharedKeyCredential(account.name, account.key),
        options,
      );
      this.clients.set(account.name, client);
    }
    return client.getContainerClient(name);
  }

  appendBlob(account: StorageAccount, container: string, blob: string): AppendBlobClient {
    return this.container(account, container).getAppendBlobClient(blob);
  }

  async stop(): Promise<void> {
    await this.gateway.close();
    await this.azurite.stop();
  }
}
