/**
 * The emulator's state file on its own (JsonStore over a real directory): what it loads and refuses, what it leaves
 * on disk, and when a commit is acknowledged. The restart tests in persistence.test.ts drive the same store through
 * the whole emulator; these pin each rule down.
 */
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { JsonStore } from "../../emulator/persistence";

interface Doc {
  n: number;
  names: string[];
}

const empty = (): Doc => ({ n: 0, names: [] });
/** A validator in the style of the emulator's parseState: the shape or an error naming what is wrong. */
const asDoc = (raw: unknown): Doc => {
  const doc = raw as Doc;
  if (typeof doc?.n !== "number" || !Array.isArray(doc.names)) throw new Error("not a Doc: n and names required");
  return doc;
};

describe("emulator: state file rules", function () {
  let dir: string;
  let file: string;
  const onDisk = async () => JSON.parse(await readFile(file, "utf8")) as Doc;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "emu-store-"));
    file = path.join(dir, "state.json");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("starts from the initial document when there is no file, and writes nothing until a commit", async () => {
    const store = await JsonStore.open(file, empty, asDoc);
    assert.deepEqual(store.data, empty());
    assert.deepEqual(await readdir(dir), []);
  });

  it("writes each commit as the whole document, owner-only, through a temp file it does not leave behind", async () => {
    const store = await JsonStore.open(file, empty, asDoc);
    store.data.n = 1;
    store.data.names.push("a");
    await store.commit();
    assert.deepEqual(await onDisk(), { n: 1, names: ["a"] });
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(dir), ["state.json"]);
  });

  it("loads what the validator makes of the file", async () => {
    await writeFile(file, JSON.stringify({ n: 7, names: ["x", "y"] }));
    const seen: unknown[] = [];
    const store = await JsonStore.open(file, empty, (raw) => {
      seen.push(raw);
      return { ...asDoc(raw), names: ["validated"] };
    });
    assert.deepEqual(seen, [{ n: 7, names: ["x", "y"] }]);
    assert.deepEqual(store.data, { n: 7, names: ["validated"] });
  });

  it("refuses a file that is not JSON or not valid, naming the file and the reason, and leaves it alone", async () => {
    await writeFile(file, "{truncated");
    await assert.rejects(JsonStore.open(file, empty, asDoc), (e: Error) => {
      assert.ok(e.message.startsWith(`Cannot load emulator state from ${file}: `), e.message);
      assert.match(e.message, /JSON/);
      return true;
    });
    assert.equal(await readFile(file, "utf8"), "{truncated");

    await writeFile(file, JSON.stringify({ n: "seven" }));
    await assert.rejects(JsonStore.open(file, empty, asDoc), {
      message: `Cannot load emulator state from ${file}: not a Doc: n and names required`,
    });
  });

  it("discards the temp file of a write cut short, keeping the last complete snapshot", async () => {
    await writeFile(file, JSON.stringify({ n: 3, names: [] }));
    await writeFile(`${file}.tmp`, '{"n": 4, "na');
    const store = await JsonStore.open(file, empty, asDoc);
    assert.equal(store.data.n, 3);
    assert.deepEqual(await readdir(dir), ["state.json"]);
  });

  it("makes a state file others could read owner-only on load", async () => {
    await writeFile(file, JSON.stringify(empty()));
    await chmod(file, 0o644);
    await JsonStore.open(file, empty, asDoc);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  it("acknowledges each commit only once a snapshot with the caller's change is on disk", async () => {
    const store = await JsonStore.open(file, empty, asDoc);
    // Commits issued back to back while earlier ones are being written: each must see at least its own change.
    const acknowledged = Array.from({ length: 20 }, (_, i) => {
      store.data.n = i + 1;
      store.data.names.push(`t${i}`);
      return store.commit().then(onDisk);
    });
    const seen = await Promise.all(acknowledged);
    seen.forEach((doc, i) => assert.ok(doc.n >= i + 1 && doc.names.includes(`t${i}`), `commit ${i} saw ${doc.n}`));
    assert.deepEqual(await onDisk(), { n: 20, names: Array.from({ length: 20 }, (_, i) => `t${i}`) });
  });

  it("drain waits for a commit nobody awaited", async () => {
    const store = await JsonStore.open(file, empty, asDoc);
    store.data.n = 42;
    void store.commit();
    await store.drain();
    assert.equal((await onDisk()).n, 42);
  });

  it("rejects the commits of a failed write, and writes again once the cause is gone", async () => {
    const nested = path.join(dir, "gone");
    await mkdir(nested);
    const store = await JsonStore.open(path.join(nested, "state.json"), empty, asDoc);
    await rm(nested, { recursive: true });
    store.data.n = 1;
    const failed = [store.commit(), store.commit()];
    for (const commit of failed) await assert.rejects(commit, { code: "ENOENT" });

    await mkdir(nested);
    store.data.n = 2;
    await store.commit();
    assert.deepEqual(JSON.parse(await readFile(path.join(nested, "state.json"), "utf8")), { n: 2, names: [] });
  });
});
