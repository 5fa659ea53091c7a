/**
 * Shared set-up for tests that run the real Pulumi engine. A missing CLI is a failure, never a skip: pulumiBinDir()
 * builds it when needed (the first build on a fresh machine takes several minutes, so call it from a `before` hook with
 * a long timeout, e.g. `this.timeout(ENSURE_TIMEOUT_MS)`).
 */
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { PulumiCommand } from "@pulumi/pulumi/automation";
import { offlineEngineEnv } from "../../../toolchain/engine-env";
import { ensurePulumi } from "../../../toolchain/ensure-pulumi";

/** Upper bound for a cold CLI build (downloads plus compilation on 2 cores). */
export const ENSURE_TIMEOUT_MS = 45 * 60_000;

let binDir: Promise<string> | undefined;
let command: Promise<PulumiCommand> | undefined;

/** The ensured bin directory (pulumi, pulumi-language-nodejs, pulumi-resource-pulumi-nodejs); built once per process. */
export function pulumiBinDir(): Promise<string> {
  binDir ??= ensurePulumi();
  return binDir;
}

/**
 * An Automation API command bound to the ensured CLI (`<root>/bin/pulumi`); the API also puts that bin dir on PATH.
 * One per process: `PulumiCommand.get` runs `pulumi version` to check the CLI, a third of a second of CPU per stack.
 */
export function pulumiCommand(): Promise<PulumiCommand> {
  command ??= pulumiBinDir().then((dir) => PulumiCommand.get({ root: path.dirname(dir) }));
  return command;
}

/**
 * Inline programs run in this process, one engine after another, and the SDK (3.248) never closes a run's gRPC clients
 * to its engine. grpc-js shares connections process-wide by address: when a later engine listens on a port an earlier
 * one used, the new client is handed the dead connection and fails at once with "14 UNAVAILABLE: No connection
 * established. Last error: null". On RegisterResource the SDK takes that for the engine shutting down and stops
 * quietly: the program ends having registered nothing and the engine deletes what it declared (seen in CI: an up
 * reporting {delete: 1, same: 1}). A connection pool per client avoids it. The options object is the SDK's internal,
 * read each time it creates a client; if it moves, this throws rather than letting the flake back in.
 */
function isolateInlineRuns(): void {
  const settings = require("@pulumi/pulumi/runtime/settings") as { grpcClientOptions?: Record<string, unknown> };
  if (!settings.grpcClientOptions)
    throw new Error("@pulumi/pulumi/runtime/settings no longer exports grpcClientOptions");
  settings.grpcClientOptions["grpc.use_local_subchannel_pool"] = 1;
}

/** A fresh temporary folder for one suite's backend and PULUMI_HOME; remove it with removeStateDir. */
export function newStateDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), "pulumi-e2e-"));
}

/**
 * Automation API options for an inline program run in this process: the ensured CLI, `envVars`, and a work dir for the
 * project files under the state folder (without one, Automation API writes them into a temp folder nothing removes).
 */
export async function inlineOptions(
  stateDir: string,
  projectName: string,
  envVars: Record<string, string>,
): Promise<{ pulumiCommand: PulumiCommand; envVars: Record<string, string>; workDir: string }> {
  isolateInlineRuns();
  const workDir = path.join(stateDir, "programs", projectName);
  await fs.mkdir(workDir, { recursive: true });
  return { pulumiCommand: await pulumiCommand(), envVars, workDir };
}

export function removeStateDir(stateDir: string): Promise<void> {
  return fs.rm(stateDir, { recursive: true, force: true });
}

/**
 * Offline engine variables for a state folder (see offlineEngineEnv), plus `extra` (e.g. the emulator's env).
 * Use as Automation API `envVars`, or merge over process.env for CLI runs.
 * Programs run transpile-only: ts-node type-checking costs ~10 s per program run on 2 cores, and `npm test` already
 * type-checks everything under test/ with tsc.
 */
export async function engineEnv(stateDir: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return {
    ...offlineEngineEnv({ stateDir, binDir: await pulumiBinDir() }),
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    ...extra,
  };
}
