import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";

/**
 * Group commit: one write in flight at a time; commits arriving meanwhile are covered together by the next write.
 * `commit()` resolves only after a write begun after the call has finished, and rejects with that write's error.
 */
class GroupCommit {
  private waiting: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly write: () => Promise<void>,
    /** Called when a write failed, before its waiters are told. */
    private readonly failed: () => void = () => undefined,
  ) {}

  commit(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.flushing ??= this.flushLoop();
    });
  }

  /** Waits for in-flight writes (on stop). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flushLoop(): Promise<void> {
    // A write with nothing to do finishes without awaiting anything: yield first, so `flushing` is set before this
    // loop clears it.
    await Promise.resolve();
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0);
        try {
          await this.write();
          for (const w of batch) w.resolve();
        } catch (e) {
          this.failed();
          for (const w of batch) w.reject(e);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }
}

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
  private readonly group = new GroupCommit(() => this.writeSnapshot(JSON.stringify(this.data)));
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
    return this.group.commit();
  }

  /** Waits for in-flight writes (used on stop). */
  drain(): Promise<void> {
    return this.group.drain();
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
    await syncDirectory(path.dirname(this.filePath));
  }
}

/** Makes a rename or a new file in `dir` durable. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A copy of a JSON value whose strings are the original ones (strings are immutable: sharing them costs nothing). */
function shadowOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shadowOf);
  if (typeof value !== "object" || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) copy[k] = shadowOf(v);
  return copy;
}

/** Whether `value` serialises as `shadow` did; walks the nodes, and compares shared strings by reference first. */
function sameJson(value: unknown, shadow: unknown): boolean {
  if (value === shadow) return true;
  if (typeof value !== "object" || value === null || typeof shadow !== "object" || shadow === null) return false;
  if (Array.isArray(value) !== Array.isArray(shadow)) return false;
  const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined);
  if (keys.length !== Object.keys(shadow).length) return false;
  return keys.every((k) => sameJson((value as Record<string, unknown>)[k], (shadow as Record<string, unknown>)[k]));
}

/**
 * One change of a journal entry: a record's field set (`[collection, key, field, value]`) or removed
 * (`[collection, key, field]`), or a whole record put (`[collection, key, null, record]`) or removed
 * (`[collection, key, null]`). Fields, not records: a 3 MB template whose provisioning state settles writes the
 * state, not its customizers.
 */
type Change = [collection: string, key: string, field: string | null, value?: unknown];

const checksum = (json: string) => createHash("sha256").update(json).digest("hex").slice(0, 16);

/** The fields of `record` that differ from `before`, its shadow. */
function fieldChanges(collection: string, key: string, record: unknown, before: Record<string, unknown>): Change[] {
  const now = record as Record<string, unknown>;
  const changes: Change[] = [];
  for (const [field, value] of Object.entries(now)) {
    if (value !== undefined && !sameJson(value, before[field])) changes.push([collection, key, field, value]);
  }
  for (const field of Object.keys(before)) if (now[field] === undefined) changes.push([collection, key, field]);
  return changes;
}

/** The entries of a journal file; a torn last line (a write cut short) is dropped, a corrupt earlier one refused. */
function parseJournal(text: string, file: string): Change[][] {
  const lines = text.split("\n");
  const complete = lines.pop() === "";
  const entries: Change[][] = [];
  for (const [i, line] of lines.entries()) {
    const json = line.slice(17);
    if (line[16] !== " " || checksum(json) !== line.slice(0, 16)) {
      if (i === lines.length - 1 && !complete) break;
      throw new Error(`Cannot load emulator state from ${file}: entry ${i + 1} is corrupt`);
    }
    entries.push(JSON.parse(json) as Change[]);
  }
  return entries;
}

type Collections<T> = { [K in keyof T]: T[K] extends Record<string, object> ? K : never }[keyof T];

/**
 * A document of record collections (`{ templates: { key: record } … }`) kept in memory and persisted as a snapshot
 * (JsonStore) plus an append-only journal of the records each commit changed, so a write costs what it changed, not
 * the whole state.
 *
 * - What changed is found by comparing each record with a shadow copy of what was last written (handlers change
 *   records in place): a walk of the records' nodes, cheap next to serialising them; only changed ones are written.
 * - Atomic and durable like JsonStore: one commit is one journal line, fsync'd before `commit()` resolves, with a
 *   checksum, so a line cut short by a crash is recognised and dropped on load, never half-applied.
 * - Compacted on open and once the journal outgrows the snapshot: the snapshot is rewritten (atomically) and the
 *   journal emptied. Replaying a journal over a snapshot that already holds it gives the same state, so a crash
 *   between the two steps loses nothing.
 */
export class JournaledStore<T extends object> {
  private readonly shadow = new Map<string, Map<string, unknown>>();
  private readonly group = new GroupCommit(
    () => this.writeChanges(),
    // What the failed write changed is not known to be on disk: forget the shadow, so the next commit writes it all.
    () => {
      for (const c of this.collections) this.shadow.get(String(c))!.clear();
    },
  );
  private journalBytes = 0;

  private constructor(
    private readonly snapshot: JsonStore<T>,
    private readonly journalPath: string,
    private readonly collections: Collections<T>[],
    private snapshotBytes: number,
  ) {}

  static async open<T extends object>(
    filePath: string,
    initial: () => T,
    validate: (raw: unknown) => T,
    collections: Collections<T>[],
  ): Promise<JournaledStore<T>> {
    const snapshot = await JsonStore.open(filePath, initial, validate);
    const journalPath = `${filePath}.journal`;
    const entries = await readJournal(journalPath);
    replay(snapshot.data, entries);
    await fs.chmod(journalPath, 0o600).catch(absentAsEmpty);
    const store = new JournaledStore(snapshot, journalPath, collections, 0);
    // A first start writes the empty snapshot, so state.json (0600) is there from the start, as before.
    const hasSnapshot = await fs.stat(filePath).then(
      () => true,
      () => false,
    );
    if (entries.length > 0 || !hasSnapshot) await store.compact();
    else {
      store.snapshotBytes = await fs.stat(filePath).then(
        (s) => s.size,
        () => 0,
      );
      store.remember();
    }
    return store;
  }

  get data(): T {
    return this.snapshot.data;
  }

  /** Resolves once the current in-memory state (including the caller's mutations) is durably on disk. */
  commit(): Promise<void> {
    return this.group.commit();
  }

  /** Waits for in-flight writes (on stop). */
  drain(): Promise<void> {
    return this.group.drain();
  }

  private records(collection: Collections<T>): Record<string, unknown> {
    return this.snapshot.data[collection] as Record<string, unknown>;
  }

  /** Takes the shadow of every record as it is now (after load or compaction). */
  private remember(): void {
    for (const c of this.collections) {
      this.shadow.set(String(c), new Map(Object.entries(this.records(c)).map(([k, v]) => [k, shadowOf(v)])));
    }
  }

  /** The records that differ from their shadow, the shadow updated to them. */
  private changes(): Change[] {
    const changes: Change[] = [];
    for (const c of this.collections) {
      const name = String(c);
      const records = this.records(c);
      const shadow = this.shadow.get(name)!;
      for (const [key, record] of Object.entries(records)) {
        const before = shadow.get(key) as Record<string, unknown> | undefined;
        if (before === undefined) changes.push([name, key, null, record]);
        else if (!sameJson(record, before)) changes.push(...fieldChanges(name, key, record, before));
        else continue;
        shadow.set(key, shadowOf(record));
      }
      for (const key of shadow.keys()) {
        if (records[key] !== undefined) continue;
        changes.push([name, key, null]);
        shadow.delete(key);
      }
    }
    return changes;
  }

  /** One group commit's write: the changed fields as a journal line, then a compaction once the journal is large. */
  private async writeChanges(): Promise<void> {
    const changes = this.changes();
    if (changes.length > 0) await this.append(changes);
    if (this.journalBytes > Math.max(this.snapshotBytes, MIN_COMPACTION_BYTES)) await this.compact();
  }

  private async append(changes: Change[]): Promise<void> {
    const json = JSON.stringify(changes);
    const line = `${checksum(json)} ${json}\n`;
    await this.write("a", line);
    this.journalBytes += Buffer.byteLength(line);
  }

  /** Appends to (flag "a") or empties (flag "w") the journal, durably; a new journal's directory entry too. */
  private async write(flag: "a" | "w", text: string): Promise<void> {
    const created = !(await fs.stat(this.journalPath).then(
      () => true,
      () => false,
    ));
    const fh = await fs.open(this.journalPath, flag, 0o600);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (created) await syncDirectory(path.dirname(this.journalPath));
  }

  private async compact(): Promise<void> {
    // JsonStore serialises the document synchronously within commit(): the shadow taken in the same tick matches it.
    const written = this.snapshot.commit();
    this.remember();
    await written;
    await this.write("w", "");
    this.journalBytes = 0;
    this.snapshotBytes = (await fs.stat(this.snapshot.filePath)).size;
  }
}

/** What a start would load from `filePath` and its journal now, read without changing either (for tests). */
export async function readPersisted<T extends object>(
  filePath: string,
  initial: () => T,
  validate: (raw: unknown) => T,
): Promise<T> {
  const text = await fs.readFile(filePath, "utf8").catch(absentAsEmpty);
  const data = text === "" ? initial() : validate(JSON.parse(text));
  replay(data, await readJournal(`${filePath}.journal`));
  return data;
}

const readJournal = async (file: string) => parseJournal(await fs.readFile(file, "utf8").catch(absentAsEmpty), file);

function replay(data: object, entries: Change[][]): void {
  for (const change of entries.flat()) {
    const [collection, key, field, value] = change;
    const records = (data as Record<string, Record<string, Record<string, unknown>>>)[collection];
    const removed = change.length === 3;
    if (field === null) {
      if (removed) delete records[key];
      else records[key] = value as Record<string, unknown>;
    } else if (removed) delete records[key][field];
    else records[key][field] = value;
  }
}

/** Below this a journal is never compacted: rewriting a small snapshot would cost more than it saves. */
const MIN_COMPACTION_BYTES = 1024 * 1024;

function absentAsEmpty(e: NodeJS.ErrnoException): string {
  if (e.code === "ENOENT") return "";
  throw e;
}
