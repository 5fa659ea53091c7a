import { spawn, type ChildProcess } from "node:child_process";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as delay } from "node:timers/promises";

/*
 * Azurite as a child process that cannot outlive the emulator, however the emulator ends: it runs under a small
 * wrapper that stops it (SIGTERM, so it saves its metadata) once its stdin, a pipe only the emulator holds, closes or
 * its parent changes: a `kill -9` of the emulator closes the pipe. It starts when the staging storage is first used
 * (a build's log, a request to the blob endpoint), not with the emulator: most emulators never hold a blob.
 * A pid file in the data dir names the emulator that claimed the dir and, once started, its Azurite: the next start
 * on the same dir refuses while that emulator runs, and ends an Azurite that could not react (stopped, hung) before
 * the dir is used again; two Azurites on one `blobs/` would corrupt its metadata. Files Azurite writes are owner-only
 * (umask 077), like the rest of the dir.
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
  /** The emulator's process, and its start time (so a reused pid is not taken for it); older records lack the time. */
  parent: number;
  parentStart?: string;
  /** Its Azurite, once started. */
  pid?: number;
}

/** The command line of a live process (Linux), or undefined. */
async function commandLine(pid: number): Promise<string[] | undefined> {
  try {
    return (await fs.readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0");
  } catch {
    return undefined;
  }
}

/** Fields of /proc/{pid}/stat after the command name: [0] is the state, [1] the parent, [19] the start time. */
async function statOf(pid: number): Promise<string[] | undefined> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

const startTimeOf = async (pid: number) => (await statOf(pid))?.[19];

const servesLocation = (cmdline: string[] | undefined, location: string) =>
  cmdline !== undefined && cmdline.some((arg, i) => arg === location && cmdline[i - 1] === "--location");

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await delay(50)) {
    if ((await commandLine(pid)) === undefined) return true;
  }
  return (await commandLine(pid)) === undefined;
}

/** Whether the emulator that wrote `record` still runs (a record of an older version: its Azurite's parent). */
async function emulatorRuns(record: PidRecord, azuriteServes: boolean): Promise<boolean> {
  if (record.parentStart !== undefined) return (await startTimeOf(record.parent)) === record.parentStart;
  return (
    azuriteServes &&
    record.pid !== undefined &&
    Number((await statOf(record.pid))?.[1]) === record.parent &&
    (await commandLine(record.parent)) !== undefined
  );
}

/**
 * Refuses the data dir while the emulator named by its pid file runs (one data dir, one emulator), and ends the
 * Azurite a gone one left serving `location`.
 */
async function endStale(dataDir: string, file: string, location: string): Promise<void> {
  let record: PidRecord;
  try {
    record = JSON.parse(await fs.readFile(file, "utf8")) as PidRecord;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  // Only a process whose command line names this dir's blobs: a pid reused by anything else is left alone.
  const azuriteServes = record.pid !== undefined && servesLocation(await commandLine(record.pid), location);
  if (await emulatorRuns(record, azuriteServes)) {
    throw new Error(
      `The data dir ${dataDir} is in use by another running emulator (pid ${record.parent}); stop it or use another --data-dir.`,
    );
  }
  if (azuriteServes && record.pid !== undefined) {
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
  certPath: string;
  keyPath: string;
  /** AZURITE_ACCOUNTS: `name:key;…`. */
  accounts: string;
}

/** This emulator's hold on its data dir, recorded in the pid file from start to stop. */
export class DataDirClaim {
  private constructor(
    readonly dataDir: string,
    private readonly file: string,
    private readonly record: PidRecord,
  ) {}

  /** Refuses a dir another running emulator holds, ends an Azurite a gone one left, and records this process. */
  static async take(dataDir: string): Promise<DataDirClaim> {
    const file = path.join(dataDir, PID_FILE);
    await endStale(dataDir, file, path.join(dataDir, "blobs"));
    const claim = new DataDirClaim(dataDir, file, { parent: process.pid, parentStart: await startTimeOf(process.pid) });
    await claim.write();
    return claim;
  }

  async recordAzurite(pid: number): Promise<void> {
    this.record.pid = pid;
    await this.write();
  }

  async release(): Promise<void> {
    await fs.rm(this.file, { force: true });
  }

  private write(): Promise<void> {
    return fs.writeFile(this.file, JSON.stringify(this.record), { mode: 0o600 });
  }
}

/**
 * Azurite's blob service on a free loopback port over HTTPS, accepting only its accounts' keys and SAS (no bearer
 * tokens: its OAuth mode does not check signatures, so the emulator's gateway checks them in front of it). Started by
 * the first `url()`; a start that failed is tried again by the next.
 */
export class LazyAzurite {
  private running?: Promise<{ child: ChildProcess; url: string }>;
  private stopped = false;

  constructor(
    private readonly claim: DataDirClaim,
    private readonly options: AzuriteOptions,
  ) {}

  async url(): Promise<string> {
    if (this.stopped) throw new Error("the emulator's blob service has stopped");
    this.running ??= this.start().catch((e: unknown) => {
      this.running = undefined;
      throw e;
    });
    return (await this.running).url;
  }

  private async start(): Promise<{ child: ChildProcess; url: string }> {
    const location = path.join(this.claim.dataDir, "blobs");
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
        ...["--cert", this.options.certPath, "--key", this.options.keyPath],
        ...["--disableTelemetry", "--silent", "--skipApiVersionCheck"],
      ],
      { env: { ...process.env, AZURITE_ACCOUNTS: this.options.accounts }, stdio: ["pipe", "pipe", "pipe"] },
    );
    // An emulator process that exits without stop() (an uncaught error, process.exit) takes Azurite with it at once;
    // one killed outright closes the wrapper's stdin.
    const kill = () => child.kill("SIGKILL");
    process.once("exit", kill);
    child.once("exit", () => process.off("exit", kill));
    if (child.pid !== undefined) await this.claim.recordAzurite(child.pid);
    const url = await waitForReady(child);
    child.stdout!.resume();
    return { child, url };
  }

  /** Ends Azurite if it was started (or is starting); no start after this. */
  async stop(): Promise<void> {
    this.stopped = true;
    const child = (await this.running?.catch(() => undefined))?.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
}
