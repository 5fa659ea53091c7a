/**
 * The fleet project (fixtures/fleet) run through the real `pulumi` CLI against a fresh emulator, with the means to
 * SIGKILL the engine mid-update and to scan the raw state file.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { runPulumi } from "../../toolchain/run-pulumi";
import { engineEnv, newStateDir, pulumiBinDir, removeStateDir } from "../e2e/helpers/engine";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator";
import type { EmulatorOptions } from "../../emulator";

export const FLEET_DIR = path.join(__dirname, "fixtures", "fleet");
const PROJECT = "reliability-fleet";
export const FLEET_SECRET = "fleet-registry-token-9f3c";

export interface Fleet {
  emulator: TestEmulator;
  stack: string;
  /** `pulumi <args>` on the fleet's stack; rejects with the output unless it exits 0 (or `allowFailure`). */
  pulumi(args: string[], allowFailure?: boolean): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Starts `pulumi up` in its own process group and returns a function that SIGKILLs the whole group. */
  startUp(args: string[]): { pid: number; kill(): void; exited: Promise<number | null> };
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
  const emulator = await startTestEmulator(options);
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
  await runPulumi(["stack", "init", stack], { cwd: FLEET_DIR, binDir, env });
  return {
    emulator,
    stack,
    pulumi,
    startUp(args) {
      const child = spawn(
        path.join(binDir, "pulumi"),
        ["up", "--yes", "--non-interactive", "--stack", stack, ...args],
        {
          cwd: FLEET_DIR,
          env: { ...process.env, ...env },
          stdio: "ignore",
          detached: true,
        },
      );
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      // The engine, its language host, the program and the provider plugin all share the group led by `pulumi`.
      return { pid: child.pid!, kill: () => process.kill(-child.pid!, "SIGKILL"), exited };
    },
    rawState: () => fs.readFile(path.join(stateDir, "backend", ".pulumi", "stacks", PROJECT, `${stack}.json`), "utf8"),
    async tearDown() {
      await pulumi(["stack", "rm", "--yes", "--force"], true);
      await fs.rm(path.join(FLEET_DIR, `Pulumi.${stack}.yaml`), { force: true });
      await emulator.stop();
      await removeStateDir(stateDir);
    },
  };
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
