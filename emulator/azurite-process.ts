import { spawn, type ChildProcess } from "node:child_process";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as delay } from "node:timers/promises";

/*
 * Azurite as a child process that cannot outlive the emulator, however the emulator ends: it runs under a small
 * wrapper that stops it (SIGTERM, so it saves its metadata) once its stdin, a pipe only the emulator holds, closes or
 * its parent changes: a `kill -9` of the emulator closes the pipe. A pid file in the data dir lets the next start on
 * the same dir find an Azurite that could not react (stopped, hung) and end it before starting its own; two Azurites
 * on one `blobs/` would corrupt its metadata. Files Azurite writes are owner-only (umask 077), like the rest of the dir.
 */

const READY = /successfully listens on (https:\/\/\S+)/;
const START_TIMEOUT_MS = 60_000;
/** How long an Azurite gets to save its metadata and exit after SIGTERM before it is killed. */
const STOP_GRACE_MS = 5000;
const PID_FILE = "azurite.pid";

/** Run with `node -e`: argv is [node, azuriteMain, ...azuriteArgs]. */
const WRAPPER = `
process.umask(0o077);
const [main, ...args] = process.argv.slice(1);
process.argv = [process.argv[0], main, ...args];
const parent = process.ppid;
let leaving = false;
const leave = () => {
  if (leaving) return;
  leaving = true;
  process.kill(process.pid, "SIGTERM");
  setTimeout(() => process.exit(0), ${STOP_GRACE_MS}).unref();
};
process.stdin.on("end", leave).on("close", leave).on("error", leave).resume();
process.stdin.unref();
setInterval(() => { if (process.ppid !== parent) leave(); }, 500).unref();
require(main);
`;

interface PidRecord {
  pid: number;
  parent: number;
}

/** The command line of a live process (Linux), or undefined. */
async function commandLine(pid: number): Promise<string[] | undefined> {
  try {
    return (await fs.readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0");
  } catch {
    return undefined;
  }
}

async function parentOf(pid: number): Promise<number | undefined> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

const servesLocation = (cmdline: string[] | undefined, location: string) =>
  cmdline !== undefined && cmdline.some((arg, i) => arg === location && cmdline[i - 1] === "--location");

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await delay(50)) {
    if ((await commandLine(pid)) === undefined) return true;
  }
  return (await commandLine(pid)) === undefined;
}

/**
 * Ends the Azurite a previous emulator on this data dir left serving `location` (its pid file says which), or
 * refuses to start when that emulator still runs: one data dir, one emulator.
 */
async function endStale(dataDir: string, location: string): Promise<void> {
  const file = path.join(dataDir, PID_FILE);
  let record: PidRecord;
  try {
    record = JSON.parse(await fs.readFile(file, "utf8")) as PidRecord;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  // Only a process whose command line names this dir's blobs: a pid reused by anything else is left alone.
  if (servesLocation(await commandLine(record.pid), location)) {
    if ((await parentOf(record.pid)) === record.parent && (await commandLine(record.parent)) !== undefined) {
      throw new Error(
        `The data dir ${dataDir} is in use by another running emulator (pid ${record.parent}); stop it or use another --data-dir.`,
      );
    }
    for (const signal of ["SIGCONT", "SIGTERM"] as const) process.kill(record.pid, signal);
    if (!(await waitForExit(record.pid, STOP_GRACE_MS))) {
      process.kill(record.pid, "SIGKILL");
      await waitForExit(record.pid, STOP_GRACE_MS);
    }
  }
  await fs.rm(file, { force: true });
}

/** Owner-only modes for what an earlier Azurite (or version) left readable. */
async function restrictModes(location: string): Promise<void> {
  await fs.chmod(location, 0o700);
  for (const entry of await fs.readdir(location, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath ?? entry.path, entry.name);
    if (entry.isDirectory()) await fs.chmod(full, 0o700);
    else if (entry.isFile()) await fs.chmod(full, 0o600);
  }
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

export interface AzuriteOptions {
  dataDir: string;
  certPath: string;
  keyPath: string;
  /** AZURITE_ACCOUNTS: `name:key;…`. */
  accounts: string;
}

/**
 * Azurite's blob service on a free loopback port over HTTPS, accepting only its accounts' keys and SAS (no bearer
 * tokens: its OAuth mode does not check signatures, so the emulator's gateway checks them in front of it).
 */
export class AzuriteProcess {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly pidFile: string,
  ) {}

  static async start(o: AzuriteOptions): Promise<AzuriteProcess> {
    const location = path.join(o.dataDir, "blobs");
    await endStale(o.dataDir, location);
    await fs.mkdir(location, { recursive: true, mode: 0o700 });
    await restrictModes(location);
    const main = require.resolve("azurite/dist/src/blob/main.js");
    const child = spawn(
      process.execPath,
      [
        "-e",
        WRAPPER,
        main,
        ...["--blobHost", "127.0.0.1", "--blobPort", "0", "--location", location],
        ...["--cert", o.certPath, "--key", o.keyPath],
        ...["--disableTelemetry", "--silent", "--skipApiVersionCheck"],
      ],
      { env: { ...process.env, AZURITE_ACCOUNTS: o.accounts }, stdio: ["pipe", "pipe", "pipe"] },
    );
    // An emulator process that exits without stop() (an uncaught error, process.exit) takes Azurite with it at once;
    // one killed outright closes the wrapper's stdin.
    const kill = () => child.kill("SIGKILL");
    process.once("exit", kill);
    child.once("exit", () => process.off("exit", kill));
    const pidFile = path.join(o.dataDir, PID_FILE);
    if (child.pid !== undefined) {
      const record: PidRecord = { pid: child.pid, parent: process.pid };
      await fs.writeFile(pidFile, JSON.stringify(record), { mode: 0o600 });
    }
    const url = await waitForReady(child);
    child.stdout!.resume();
    return new AzuriteProcess(url, child, pidFile);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once("exit", resolve));
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    await fs.rm(this.pidFile, { force: true });
  }
}
