/**
 * The state file's journal: a write costs the records it changed, not the whole state (measured in bytes written),
 * with the crash safety of the whole-file write: a line cut short is dropped, a corrupt one refused, and a crash
 * between compaction's two steps loses nothing.
 */
import assert from "node:assert/strict";
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { JournaledStore, readPersisted } from "../../emulator/persistence";
import { emptyState, parseState } from "../../emulator/model";
import { startTestEmulator } from "../helpers/emulator";
import { arm, settle, templateBody, templatePath } from "./util";

interface Doc {
  version: 1;
  items: Record<string, { n: number; text?: string }>;
}
const empty = (): Doc => ({ version: 1, items: {} });
const asDoc = (raw: unknown) => raw as Doc;

describe("emulator: state journal", function () {
  this.timeout(120_000);
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "emu-journal-"));
    file = path.join(dir, "state.json");
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const open = () => JournaledStore.open(file, empty, asDoc, ["items"]);
  const journal = () => readFile(`${file}.journal`, "utf8");
  /** Bytes the store wrote for one commit: the journal's growth, plus the snapshot if it was replaced. */
  async function bytesWrittenBy(commit: () => Promise<void>, snapshot = file, journalFile = `${file}.journal`) {
    const size = async (f: string) => (await stat(f).catch(() => undefined))?.size ?? 0;
    const ino = async (f: string) => (await stat(f).catch(() => undefined))?.ino;
    const [journalBefore, inoBefore] = [await size(journalFile), await ino(snapshot)];
    await commit();
    const replaced = (await ino(snapshot)) !== inoBefore;
    return (await size(journalFile)) - journalBefore + (replaced ? await size(snapshot) : 0);
  }

  it("journals only the records a commit changed, in place or removed, and loads them back", async () => {
    const store = await open();
    store.data.items.a = { n: 1, text: "x".repeat(100_000) };
    store.data.items.b = { n: 1 };
    await store.commit();
    store.data.items.b.n = 2;
    const written = await bytesWrittenBy(() => store.commit());
    assert.ok(written < 200, `changing b wrote ${written} bytes, not a's 100 KB`);
    delete store.data.items.a;
    await store.commit();
    const lines = (await journal()).trim().split("\n");
    assert.equal(lines.length, 3);
    assert.deepEqual(JSON.parse(lines[1].slice(17)), [["items", "b", "n", 2]]);
    assert.deepEqual(JSON.parse(lines[2].slice(17)), [["items", "a", null]]);
    assert.deepEqual(JSON.parse(lines[0].slice(17))[0].slice(0, 3), ["items", "a", null], "a new record whole");
    assert.deepEqual(await readPersisted(file, empty, asDoc), { version: 1, items: { b: { n: 2 } } });
    await store.drain();
    const again = await open();
    assert.deepEqual(again.data, { version: 1, items: { b: { n: 2 } } });
    assert.equal(await journal(), "", "opening compacts the journal into the snapshot");
    assert.deepEqual(JSON.parse(await readFile(file, "utf8")), again.data);
    assert.equal((await stat(`${file}.journal`)).mode & 0o777, 0o600);
    await again.drain();
  });

  it("resolves a commit with nothing to write, and writes the next change", async () => {
    const store = await open();
    await store.commit();
    await store.commit();
    store.data.items.a = { n: 1 };
    await store.commit();
    assert.deepEqual((await readPersisted(file, empty, asDoc)).items, { a: { n: 1 } });
    await store.drain();
  });

  it("drops a last line cut short by a crash, and refuses a corrupt line before it", async () => {
    const store = await open();
    store.data.items.a = { n: 1 };
    await store.commit();
    store.data.items.a.n = 2;
    await store.commit();
    await store.drain();
    const whole = await journal();
    await appendFile(`${file}.journal`, whole.split("\n")[1].slice(0, 30));
    const torn = await open();
    assert.deepEqual(torn.data.items, { a: { n: 2 } }, "the torn line is dropped, the lines before it kept");
    await torn.drain();

    await writeFile(`${file}.journal`, whole.replace('"n":1', '"n":7'));
    await assert.rejects(open(), /Cannot load emulator state from .*state\.json\.journal: entry 1 is corrupt/);
  });

  it("loses nothing to a crash between writing the snapshot and emptying the journal", async () => {
    const store = await open();
    for (let i = 0; i < 5; i++) {
      store.data.items[`k${i}`] = { n: i };
      if (i === 3) delete store.data.items.k1;
      await store.commit();
    }
    await store.drain();
    const expected = await readPersisted(file, empty, asDoc);
    // The snapshot of compaction's first step, with the journal its second step would have emptied still there.
    await writeFile(file, JSON.stringify(expected));
    const reopened = await open();
    assert.deepEqual(reopened.data, expected);
    await reopened.drain();
  });

  it("a small write after large templates stays small in bytes written, and all of it survives a restart", async () => {
    const emu = await startTestEmulator({ dataDir: dir });
    const a = await arm(emu);
    try {
      const sub = emu.subscriptionId;
      const lines = Array.from({ length: 3000 }, (_, i) => `echo ${i} ${"y".repeat(1000)}`);
      for (const name of ["big1", "big2", "big3"]) {
        const big = templateBody(sub, { properties: { customize: [{ type: "Shell", name: "big", inline: lines }] } });
        const r = await a.request("PUT", templatePath(sub, "rg", name), big);
        assert.equal(r.status, 201);
        await settle(a, r);
      }
      const state = async () =>
        (await stat(file)).size + ((await stat(`${file}.journal`).catch(() => undefined))?.size ?? 0);
      assert.ok((await state()) > 8_000_000, "sanity: the state holds the large templates");
      const written = await bytesWrittenBy(async () => {
        const r = await a.request("PUT", templatePath(sub, "rg", "small"), templateBody(sub));
        assert.equal(r.status, 201);
      });
      assert.ok(written < 16_384, `a small PUT wrote ${written} bytes`);
      a.close();
      await emu.stop();
      const restored = await readPersisted(file, emptyState, parseState);
      assert.deepEqual(
        Object.values(restored.templates)
          .map((t) => t.name)
          .sort(),
        ["big1", "big2", "big3", "small"],
      );
    } finally {
      a.close();
      await emu.stop();
    }
  });
});
