import { promises as fs } from "node:fs";
import * as path from "node:path";

/**
 * A JSON document kept in memory and persisted to one file with group commit.
 *
 * - Atomic: each snapshot goes to a temp file that is fsync'd and renamed over the target (then the directory is
 *   fsync'd), so the file always holds a complete snapshot.
 * - Serialized: only one write is in flight; commits arriving meanwhile are coalesced into the next snapshot.
 * - Durable acknowledgements: `commit()` resolves only after a snapshot taken after the caller's mutation is on
 *   disk, so a handler that awaits it before answering never acknowledges a write that could be lost.
 * Mutations happen synchronously on `data` (Node runs one handler step at a time), so a snapshot never sees a
 * half-applied change.
 */
export class JsonStore<T> {
  private waiting: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private readonly tmpPath: string;

  private constructor(
    readonly filePath: string,
    public data: T,
  ) {
    this.tmpPath = `${filePath}.tmp`;
  }

  static async open<T>(filePath: string, initial: () => T, validate: (raw: unknown) => T): Promise<JsonStore<T>> {
    let data: T;
    try {
      data = validate(JSON.parse(await fs.readFile(filePath, "utf8")));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
        throw new Error(`Cannot load emulator state from ${filePath}: ${(e as Error).message}`);
      }
      data = initial();
    }
    await fs.rm(`${filePath}.tmp`, { force: true });
    await fs.chmod(filePath, 0o600).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== "ENOENT") throw e;
    });
    return new JsonStore(filePath, data);
  }

  /** Resolves once the current in-memory state (including the caller's mutations) is durably on disk. */
  commit(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.flushing ??= this.flushLoop();
    });
  }

  /** Waits for in-flight writes (used on stop). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0);
        try {
          await this.writeSnapshot(JSON.stringify(this.data));
          for (const w of batch) w.resolve();
        } catch (e) {
          for (const w of batch) w.reject(e);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async writeSnapshot(json: string): Promise<void> {
    // 0600: the state holds customizer lines, secrets included, in plaintext.
    const fh = await fs.open(this.tmpPath, "w", 0o600);
    try {
      await fh.writeFile(json);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(this.tmpPath, this.filePath);
    const dir = await fs.open(path.dirname(this.filePath), "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
