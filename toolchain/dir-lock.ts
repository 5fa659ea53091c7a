/** A cross-process lock on a directory name, so concurrent `ensurePulumi` calls never build the CLI twice. */
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const POLL_MS = 1000;
const WAIT_REPORT_MS = 60_000;
/** A lock directory without an owner file this old was left by a process that died right after mkdir. */
const ORPHAN_MS = 60_000;

interface Owner {
  readonly pid: number;
  readonly host: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Why an existing lock is stale, or undefined while its owner may still be working. */
async function staleReason(lockDir: string): Promise<string | undefined> {
  try {
    const owner = JSON.parse(await fs.readFile(path.join(lockDir, "owner.json"), "utf8")) as Owner;
    return owner.host === os.hostname() && !isAlive(owner.pid) ? `owner pid ${owner.pid} is gone` : undefined;
  } catch {
    const stat = await fs.stat(lockDir).catch(() => undefined);
    return stat && Date.now() - stat.mtimeMs > ORPHAN_MS ? "it has no owner" : undefined;
  }
}

/** Runs `fn` while holding `lockDir`; waits (reporting through `log`) while another live process holds it. */
export async function withDirLock<T>(
  lockDir: string,
  log: (message: string) => void,
  fn: () => Promise<T>,
): Promise<T> {
  await fs.mkdir(path.dirname(lockDir), { recursive: true });
  let lastReport = 0;
  for (;;) {
    try {
      await fs.mkdir(lockDir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const stale = await staleReason(lockDir);
    if (stale) {
      log(`removing stale lock ${lockDir} (${stale})`);
      await fs.rm(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() - lastReport >= WAIT_REPORT_MS) {
      log(`waiting for another process to finish with ${lockDir} ...`);
      lastReport = Date.now();
    }
    await sleep(POLL_MS);
  }
  try {
    const owner: Owner = { pid: process.pid, host: os.hostname() };
    await fs.writeFile(path.join(lockDir, "owner.json"), JSON.stringify(owner));
    return await fn();
  } finally {
    await fs.rm(lockDir, { recursive: true, force: true });
  }
}
