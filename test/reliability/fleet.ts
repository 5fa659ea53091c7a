/**
 * The fleet project (fixtures/fleet) run through the real `pulumi` CLI against a fresh emulator, with the means to
 * SIGKILL the engine or its provider host mid-update, to take the emulator down and bring it back, to count templates
 * against the state, and to scan the raw state file.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import * as os from "node:os";
import { setTimeout as delay } from "node:timers/promises";
import { runPulumi } from "../../toolchain/run-pulumi";
import { engineEnv, newStateDir, pulumiBinDir, removeStateDir } from "../e2e/helpers/engine";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator";
import type { EmulatorOptions } from "../../emulator";

export const FLEET_DIR = path.join(__dirname, "fixtures", "fleet");
const PROJECT = "reliability-fleet";
export const FLEET_SECRET = "fleet-registry-token-9f3c";

const TEMPLATE_TYPE = "pulumi-nodejs:dynamic/azure-imagebuilder:ImageTemplate";
/** An operation's length while held: longer than any test, so it ends only when the test moves the emulator's clock. */
const HELD_MS = 3600_000;

export interface RunningUp {
  pid: number;
  /** SIGKILLs the engine and every process it started (plugins run in process groups of their own). */
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

/** Templates in the emulator against the stack's state and the `declared` count the program asks for. */
export interface Tally {
  held: number;
  duplicated: number;
  /** In Azure, not in the state. */
  orphaned: number;
  /** In the state but gone from Azure, or declared and missing. */
  lost: number;
  /** Template resources the state records. */
  recorded: number;
  /** Of those, the ones whose recorded provisioningState is not `Succeeded` (e.g. kept from a failed create). */
  unsettled: number;
}

export interface Fleet {
  /** The running emulator; replaced by startEmulator() after stopEmulator(). */
  emulator: TestEmulator;
  stack: string;
  /** `pulumi <args>` on the fleet's stack; rejects with the output unless it exits 0 (or `allowFailure`). */
  pulumi(args: string[], allowFailure?: boolean): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Starts `pulumi <command>` (up or destroy, with --yes) in its own process group; tearDown kills it if still running. */
  start(command: "up" | "destroy", args: string[]): RunningUp;
  /** Sets FLEET_SIZE for the following runs (the program then declares that many templates). */
  resize(size: number): void;
  /** Sets FLEET_BUILD_TRIGGER for the following runs (each template then builds on create and when it changes). */
  rebuild(trigger: string): void;
  /** Takes the emulator down (connections cut, state saved to its data dir). */
  stopEmulator(): Promise<void>;
  /** Brings it back on the same port with the same data dir: the same state, certificate and credentials. */
  startEmulator(): Promise<void>;
  tally(declared: number): Promise<Tally>;
  /**
   * Resolves once `count` ARM requests of `method` (to a path matching `to`) reached the emulator since its log was
   * cleared (read every 25 ms).
   */
  armRequestsReach(method: string, count: number, to?: RegExp): Promise<void>;
  /**
   * Holds the emulator's operations (creates, deletes) from now on: each lasts until the test moves the clock, so which
   * are done and which are in flight at a kill is the test's choice, never the machine's speed.
   */
  holdOperations(): Promise<void>;
  /**
   * With operations held and the engine running `parallel` at a time: ends each whole wave of `parallel` operations
   * until `count` requests of `method` reached the emulator; the last wave stays in flight.
   */
  inFlightAfter(method: string, count: number, parallel: number): Promise<void>;
  /** Ends every held operation and gives the operations that follow the fleet's own timing again. */
  releaseOperations(): Promise<void>;
  /** The checkpoint exactly as the file backend wrote it. */
  rawState(): Promise<string>;
  tearDown(): Promise<void>;
}

export async function startFleet(
  stack: string,
  size: number,
  options: EmulatorOptions = {},
  extraEnv: Record<string, string> = {},
): Promise<Fleet> {
  const binDir = await pulumiBinDir();
  // Its own data dir, so the emulator can stop and start again on the same state (stopEmulator, startEmulator).
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "fleet-emulator-"));
  const emulator = await startTestEmulator({ ...options, dataDir });
  const stateDir = await newStateDir();
  const env = await engineEnv(stateDir, {
    ...emulator.env,
    FLEET_SIZE: String(size),
    FLEET_SECRET,
    // Quick retries keep throttled runs short; the policy's shape (and its defaults) is tested in faults.test.ts.
    AZURE_IMAGEBUILDER_RETRY_DELAY_MS: "200",
    ...extraEnv,
  });
  const pulumi = async (args: string[], allowFailure = false) => {
    const result = await runPulumi([...args, "--stack", stack], { cwd: FLEET_DIR, binDir, env });
    if (result.code !== 0 && !allowFailure) {
      throw new Error(`pulumi ${args.join(" ")} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
    }
    return result;
  };
  const running = new Set<RunningUp>();
  let ownTiming: Awaited<ReturnType<TestEmulator["admin"]["setTiming"]>> | undefined;
  await runPulumi(["stack", "init", stack], { cwd: FLEET_DIR, binDir, env });
  const fleet: Fleet = {
    emulator,
    stack,
    pulumi,
    start(command, args) {
      const child = spawn(
        path.join(binDir, "pulumi"),
        [command, "--yes", "--non-interactive", "--stack", stack, ...args],
        {
          cwd: FLEET_DIR,
          env: { ...process.env, ...env },
          stdio: "ignore",
          detached: true,
        },
      );
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      const run: RunningUp = { pid: child.pid!, kill: () => killTree(child.pid!), exited };
      running.add(run);
      void exited.then(() => running.delete(run));
      return run;
    },
    resize(n) {
      env.FLEET_SIZE = String(n);
    },
    rebuild(trigger) {
      env.FLEET_BUILD_TRIGGER = trigger;
    },
    stopEmulator: () => fleet.emulator.stop(),
    async startEmulator() {
      const { port } = new URL(fleet.emulator.url);
      fleet.emulator = await startTestEmulator({ ...options, port: Number(port), dataDir });
    },
    async tally(declared) {
      const names = (await fleet.emulator.admin.state()).templates.map((t) => String(t.name));
      const resources = (JSON.parse((await pulumi(["stack", "export"])).stdout).deployment.resources ?? []) as {
        type: string;
        outputs?: { imageTemplateName?: string; provisioningState?: string };
      }[];
      const templates = resources.filter((r) => r.type === TEMPLATE_TYPE);
      const recorded = templates.map((r) => String(r.outputs?.imageTemplateName));
      return {
        held: names.length,
        // Autonames end in a hash suffix: two templates for one resource share the name before it.
        duplicated: names.length - new Set(names.map((n) => n.replace(/-[0-9a-f]+$/, ""))).size,
        orphaned: names.filter((n) => !recorded.includes(n)).length,
        lost: recorded.filter((n) => !names.includes(n)).length + Math.max(0, declared - names.length),
        recorded: recorded.length,
        unsettled: templates.filter((r) => r.outputs?.provisioningState !== "Succeeded").length,
      };
    },
    async armRequestsReach(method, count, to = /./) {
      const reached = async () =>
        (await fleet.emulator.admin.requests()).filter(
          (e) => e.kind === "arm" && e.method === method && to.test(e.path),
        ).length;
      while ((await reached()) < count) await delay(25);
    },
    async holdOperations() {
      ownTiming = await fleet.emulator.admin.setTiming({});
      await fleet.emulator.admin.setTiming({ lroDurationMs: HELD_MS });
    },
    async inFlightAfter(method, count, parallel) {
      for (let wave = Math.min(parallel, count); ; wave = Math.min(wave + parallel, count)) {
        await fleet.armRequestsReach(method, wave);
        if (wave === count) return;
        await fleet.emulator.admin.advanceClock(HELD_MS);
      }
    },
    async releaseOperations() {
      if (ownTiming) await fleet.emulator.admin.setTiming(ownTiming);
      await fleet.emulator.admin.advanceClock(HELD_MS);
    },
    rawState: () => fs.readFile(path.join(stateDir, "backend", ".pulumi", "stacks", PROJECT, `${stack}.json`), "utf8"),
    async tearDown() {
      // A test that failed mid-run must not leave an engine or a provider host behind.
      await Promise.all([...running].map((run) => run.kill()));
      await pulumi(["stack", "rm", "--yes", "--force"], true);
      await fs.rm(path.join(FLEET_DIR, `Pulumi.${stack}.yaml`), { force: true });
      await fleet.emulator.stop();
      await Promise.all([removeStateDir(stateDir), fs.rm(dataDir, { recursive: true, force: true })]);
    },
  };
  return fleet;
}

/** The running processes below `root` (read from /proc), with their command lines. */
export async function descendants(root: number): Promise<{ pid: number; command: string }[]> {
  const parents = new Map<number, number>();
  const commands = new Map<number, string>();
  for (const entry of await fs.readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await fs.readFile(`/proc/${entry}/stat`, "utf8");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
      commands.set(Number(entry), (await fs.readFile(`/proc/${entry}/cmdline`, "utf8")).replace(/\0/g, " "));
    } catch {
      // the process exited meanwhile
    }
  }
  const below = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) if (p === root) return true;
    return false;
  };
  return [...commands].filter(([pid]) => below(pid)).map(([pid, command]) => ({ pid, command }));
}

/**
 * SIGKILLs `root`'s process group and every process below it. Pulumi starts each plugin in a process group of its
 * own, so killing the engine's group alone leaves the provider host running with no parent.
 */
async function killTree(root: number): Promise<void> {
  const below = await descendants(root);
  for (const target of [-root, ...below.map((p) => p.pid)]) {
    try {
      process.kill(target, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** Credential material of the emulator and the test secret that must never appear in a state file. */
export function leakedCredentials(raw: string, emulator: TestEmulator): string[] {
  const found: string[] = [];
  if (raw.includes(emulator.clientSecret)) found.push("client secret");
  if (/eyJ[\w-]+\.eyJ[\w-]+\./.test(raw)) found.push("a JWT (access token)");
  if (raw.includes(FLEET_SECRET)) found.push("the secret customizer line in plaintext");
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(raw)) found.push("a private key");
  return found;
}
