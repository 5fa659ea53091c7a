import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { createInterface } from "node:readline";
import {
  BlobServiceClient,
  StorageSharedKeyCredential,
  type AppendBlobClient,
  type ContainerClient,
  type StoragePipelineOptions,
} from "@azure/storage-blob";
import type { TlsMaterial } from "./tls";

/*
 * The staging storage accounts build logs live in, served by a real blob service: Azurite, started as a child process
 * over HTTPS with the emulator's certificate, accepting bearer tokens (`--oauth basic`) from the emulator's token
 * endpoint. Azurite learns its accounts only from its start-up environment (AZURITE_ACCOUNTS), so the emulator
 * declares a fixed pool of service-like random names (kept in the data dir) and gives each staging resource group one.
 */

export interface StorageAccount {
  name: string;
  key: string;
}

const POOL_SIZE = 32;
const READY = /successfully listens on (https:\/\/\S+)/;
const START_TIMEOUT_MS = 60_000;

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

function waitForReady(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`Azurite (the emulator's blob service) ${why}${stderr ? `: ${stderr.trim()}` : ""}`));
    };
    const timer = setTimeout(() => fail(`did not start within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    child.once("exit", (code) => fail(`exited with code ${code} while starting`));
    child.once("error", (e) => fail(`could not be started (${e.message})`));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const m = READY.exec(line);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      resolve(m[1]);
    });
  });
}

export class StagingStorage {
  private readonly clients = new Map<string, BlobServiceClient>();

  private constructor(
    /** Azurite's base URL; accounts are path-style below it, as `primaryEndpoints.blob` says. */
    readonly url: string,
    private readonly accounts: StorageAccount[],
    private readonly child: ChildProcess,
    private readonly caPem: string,
  ) {}

  /** Starts Azurite on a free loopback port, its data in `{dataDir}/blobs`, trusted through the emulator's certificate. */
  static async start(dataDir: string, tls: TlsMaterial): Promise<StagingStorage> {
    const accounts = await loadAccounts(path.join(dataDir, "storage-accounts.json"));
    const location = path.join(dataDir, "blobs");
    await fs.mkdir(location, { recursive: true });
    const keyPath = path.join(dataDir, "key.pem");
    const main = require.resolve("azurite/dist/src/blob/main.js");
    const child = spawn(
      process.execPath,
      [
        main,
        ...["--blobHost", "127.0.0.1", "--blobPort", "0", "--location", location],
        ...["--cert", tls.certPath, "--key", keyPath, "--oauth", "basic"],
        ...["--disableTelemetry", "--silent", "--skipApiVersionCheck"],
      ],
      {
        env: { ...process.env, AZURITE_ACCOUNTS: accounts.map((a) => `${a.name}:${a.key}`).join(";") },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    // An emulator process that exits without stop() (an uncaught error, process.exit) takes Azurite with it.
    const kill = () => child.kill("SIGKILL");
    process.once("exit", kill);
    child.once("exit", () => process.off("exit", kill));
    const url = await waitForReady(child);
    child.stdout!.resume();
    return new StagingStorage(url, accounts, child, tls.cert);
  }

  /** The account of a staging resource group (by its id): the same one on every read and after a restart. */
  accountFor(stagingGroupId: string): StorageAccount {
    const h = createHash("sha256").update(stagingGroupId.toLowerCase()).digest();
    return this.accounts[h.readUInt32BE(0) % this.accounts.length];
  }

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
        this.blobEndpoint(account.name),
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
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
}
