import { createHash, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";

/*
 * The staging storage accounts. Azurite learns its accounts only from its start-up environment (AZURITE_ACCOUNTS),
 * so the emulator declares a fixed pool of service-like random names, kept in the data dir, and gives each staging
 * resource group one.
 */

export interface StorageAccount {
  name: string;
  key: string;
}

const POOL_SIZE = 32;

export class AccountPool {
  private readonly byName: Map<string, StorageAccount>;

  private constructor(private readonly accounts: StorageAccount[]) {
    this.byName = new Map(accounts.map((a) => [a.name, a]));
  }

  /** The pool of `{dataDir}/storage-accounts.json`, made on first start. */
  static async load(dataDir: string): Promise<AccountPool> {
    const file = path.join(dataDir, "storage-accounts.json");
    try {
      return new AccountPool(JSON.parse(await fs.readFile(file, "utf8")) as StorageAccount[]);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    // Like the service's staging accounts: 24 lower-case letters and digits.
    const accounts = Array.from({ length: POOL_SIZE }, () => ({
      name: randomBytes(12).toString("hex"),
      key: randomBytes(64).toString("base64"),
    }));
    await fs.writeFile(file, JSON.stringify(accounts), { mode: 0o600 });
    return new AccountPool(accounts);
  }

  /** The account of a staging resource group (by its id): the same one on every read and after a restart. */
  accountFor(stagingGroupId: string): StorageAccount {
    const h = createHash("sha256").update(stagingGroupId.toLowerCase()).digest();
    return this.accounts[h.readUInt32BE(0) % this.accounts.length];
  }

  named(name: string): StorageAccount | undefined {
    return this.byName.get(name);
  }

  /** Azurite's AZURITE_ACCOUNTS: `name:key;…`. */
  azuriteAccounts(): string {
    return this.accounts.map((a) => `${a.name}:${a.key}`).join(";");
  }
}
