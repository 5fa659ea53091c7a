import * as path from "node:path";
import {
  BlobServiceClient,
  StorageSharedKeyCredential,
  type AppendBlobClient,
  type ContainerClient,
  type StoragePipelineOptions,
} from "@azure/storage-blob";
import type { TokenAuthority } from "./auth";
import { LazyAzurite, type DataDirClaim } from "./azurite-process";
import { BlobGateway } from "./blob-gateway";
import type { ConnectionLimits } from "./limits";
import type { AccountPool, StorageAccount } from "./storage-accounts";
import type { TlsMaterial } from "./tls";

/*
 * The staging storage accounts build logs live in, served by a real blob service: Azurite, a child process over HTTPS
 * with the emulator's certificate started on first use (azurite-process.ts), behind the emulator's gateway that admits
 * only bearer tokens the emulator signed (blob-gateway.ts). The emulator's own log writer talks to Azurite directly
 * with the key.
 */
export class StagingStorage {
  private readonly clients = new Map<string, BlobServiceClient>();
  private readonly stopper = new AbortController();
  /**
   * Aborted on stop: the log writer's requests pass it, so none is retried (the SDK backs off for seconds) against
   * an Azurite that has gone.
   */
  readonly stopping: AbortSignal = this.stopper.signal;

  private constructor(
    /** The gateway's base URL; accounts are path-style below it, as `primaryEndpoints.blob` says. */
    readonly url: string,
    readonly accounts: AccountPool,
    private readonly azurite: LazyAzurite,
    private readonly gateway: BlobGateway,
    private readonly caPem: string,
  ) {}

  /** The gateway on a free loopback port; Azurite (data in `{dataDir}/blobs`) behind it once a blob is used. */
  static async start(
    claim: DataDirClaim,
    accounts: AccountPool,
    tls: TlsMaterial,
    auth: TokenAuthority,
    limits: ConnectionLimits,
  ): Promise<StagingStorage> {
    const azurite = new LazyAzurite(claim, {
      certPath: tls.certPath,
      keyPath: path.join(claim.dataDir, "key.pem"),
      accounts: accounts.azuriteAccounts(),
    });
    const gateway = new BlobGateway(auth, accounts, () => azurite.url(), tls, limits);
    const url = await gateway.listen();
    return new StagingStorage(url, accounts, azurite, gateway, tls.cert);
  }

  /** `primaryEndpoints.blob`: the gateway. */
  blobEndpoint(account: string): string {
    return `${this.url}/${account}/`;
  }

  /** The emulator's own writer: the account key, and the emulator's certificate trusted for this client only. */
  async container(account: StorageAccount, name: string): Promise<ContainerClient> {
    let client = this.clients.get(account.name);
    if (!client) {
      // core-client passes pipeline options through to core-rest-pipeline, whose tlsPolicy applies `tlsOptions`.
      const options: StoragePipelineOptions & { tlsOptions: { ca: string } } = { tlsOptions: { ca: this.caPem } };
      client = new BlobServiceClient(
        `${await this.azurite.url()}/${account.name}/`,
        new StorageSharedKeyCredential(account.name, account.key),
        options,
      );
      this.clients.set(account.name, client);
    }
    return client.getContainerClient(name);
  }

  async appendBlob(account: StorageAccount, container: string, blob: string): Promise<AppendBlobClient> {
    return (await this.container(account, container)).getAppendBlobClient(blob);
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.gateway.close();
    await this.azurite.stop();
  }
}
