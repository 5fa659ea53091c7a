import { createHash, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { TemplateRecord } from "./model";

/*
 * The staging storage accounts. Azurite learns its accounts only from its start-up environment (AZURITE_ACCOUNTS),
 * so the emulator declares a fixed pool of service-like random names, kept in the data dir, and gives each staging
 * resource group one that no other template's group has, as the service creates one account per group: two
 * templates sharing an account would each find the other's build logs there.
 */

export interface StorageAccount {
  name: string;
  key: string;
}

/** Accounts in the pool: as many templates as this have staging accounts of their own. */
export const POOL_SIZE = 32;

export class AccountPool {
  private readonly byName: Map<string, StorageAccount>;
  /** When each account was last given, counted in accounts given since the emulator started. */
  private readonly givenAt = new Map<string, number>();
  private given = 0;

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

  /**
   * The account for a new template's staging resource group (by its id), as the service makes a new one: none of the
   * `others` templates has it, and of those it is the one given longest ago (so a deleted template's logs are not in
   * the next one's account while the pool lasts), from the group's own place in the pool on.
   */
  giveAccount(stagingGroupId: string, others: readonly TemplateRecord[]): string {
    const taken = new Set(others.map((t) => this.accountOf(t).name));
    const ordered = this.from(stagingGroupId);
    const free = ordered.filter((a) => !taken.has(a.name));
    const givenAt = (a: StorageAccount) => this.givenAt.get(a.name) ?? 0;
    const account = (free.length > 0 ? free : ordered).reduce((best, a) => (givenAt(a) < givenAt(best) ? a : best));
    this.givenAt.set(account.name, ++this.given);
    return account.name;
  }

  /** A template's staging account: the one it was given (state written before that: its group's own place). */
  accountOf(t: TemplateRecord): StorageAccount {
    return this.byName.get(t.stagingAccount ?? "") ?? this.from(t.exactStagingResourceGroup)[0];
  }

  /** The pool from a group's own place (a hash of its id) on. */
  private from(stagingGroupId: string): StorageAccount[] {
    const start = createHash("sha256").update(stagingGroupId.toLowerCase()).digest().readUInt32BE(0);
    return this.accounts.map((_, i) => this.accounts[(start + i) % this.accounts.length]);
  }

  named(name: string): StorageAccount | undefined {
    return this.byName.get(name);
  }

  /** Azurite's AZURITE_ACCOUNTS: `name:key;…`. */
  azuriteAccounts(): string {
    return this.accounts.map((a) => `${a.name}:${a.key}`).join(";");
  }
}
