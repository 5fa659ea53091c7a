/**
 * Runs the test suites once per runtime of runtimes.ts and ends with one `node<major>: N passed, N failed` line per
 * runtime; exits non-zero if any runtime failed or could not be set up. `npm test` runs it after build, typecheck
 * and lint; build first (a newer runtime runs a copy of this checkout with its dist/).
 *
 *   node dist/toolchain/test-runtimes.js                       every runtime
 *   node dist/toolchain/test-runtimes.js node22 -- test/e2e/lifecycle.test.ts   one runtime, those specs only
 *
 * The floor runs in this checkout under the `node` running this script, with the installed @pulumi/pulumi, which must
 * be the lowest the package accepts. A newer runtime gets its Node.js from the registry (node-runtime.ts) and its SDK
 * over a copy of the checkout (sdk-overlay.ts); its processes (mocha, the CLI, the language host, the provider
 * plugin) find that `node` first on PATH, and the CLI is the release built for that SDK (never one from PATH).
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { BUILT_CLI_ONLY } from "./ensure-pulumi";
import { execCommand } from "./exec";
import { packageRoot } from "../provider/load";
import { ensureNode } from "./node-runtime";
import { checkoutWithSdk, ensureSdk } from "./sdk-overlay";
import { EXPECTED_RUNTIME, floorSdkOf, NEWEST_SDK, RUN_ONCE_SPECS, RUNTIMES, type Runtime } from "./runtimes";

interface Outcome {
  readonly label: string;
  readonly passed: number;
  readonly failed: number;
  readonly seconds: number;
  readonly what: string;
}

const say = (line: string): void => {
  process.stdout.write(`[runtimes] ${line}\n`);
};

const labelOf = (nodeVersion: string): string => `node${nodeVersion.replace(/^v/, "").split(".")[0]}`;

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await fs.readFile(file, "utf8")) as T;
}

/** The lowest @pulumi/pulumi the package accepts. */
async function floorSdk(root: string): Promise<string> {
  const { dependencies } = await readJson<{ dependencies: Record<string, string> }>(path.join(root, "package.json"));
  return floorSdkOf(dependencies["@pulumi/pulumi"]);
}

/** A command's output passed through line by line; resolves with its exit code and mocha's last counts. */
async function runCounted(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  let passed = 0;
  let failed = 0;
  const { code } = await execCommand(command, args, {
    cwd,
    env,
    onLine: (line, stream) => {
      (stream === "stdout" ? process.stdout : process.stderr).write(`${line}\n`);
      const count = /^\s+(\d+) (passing|failing)\b/.exec(line);
      if (count && count[2] === "passing") passed = Number(count[1]);
      if (count && count[2] === "failing") failed = Number(count[1]);
    },
  });
  // A run that failed without mocha's count (it could not start, or crashed) is one failure, never a pass.
  return { code, passed, failed: code !== 0 && failed === 0 ? 1 : failed };
}

/** Ensures the CLI for the SDK installed at `dir` under this runtime's env and checks it is that release. */
async function ensureMatchingCli(dir: string, node: string, env: NodeJS.ProcessEnv, sdk: string): Promise<string> {
  const ensured = await execCommand(node, [path.join(dir, "dist", "toolchain", "ensure-pulumi.js")], {
    cwd: dir,
    env,
    onLine: (line, stream) => stream === "stderr" && process.stderr.write(`${line}\n`),
  });
  if (ensured.code !== 0) throw new Error(`no Pulumi CLI for @pulumi/pulumi ${sdk}`);
  const binDir = ensured.stdout.trim();
  const version = (await execCommand(path.join(binDir, "pulumi"), ["version"], { env })).stdout.trim();
  if (version !== `v${sdk}`) throw new Error(`the CLI in ${binDir} is ${version}, expected v${sdk} for the SDK`);
  return version;
}

async function runRuntime(runtime: Runtime, root: string, specsOverride: string[] | undefined): Promise<Outcome> {
  const started = Date.now();
  const floor = runtime.node === "floor";
  const nodeBin = floor ? path.dirname(process.execPath) : await ensureNode(runtime.node);
  const nodeVersion = floor ? process.version : `v${runtime.node}`;
  const sdk = runtime.sdk === "floor" ? await floorSdk(root) : runtime.sdk;
  const label = labelOf(nodeVersion);
  let dir = root;
  try {
    if (runtime.sdk === "floor") {
      const installed = (
        await readJson<{ version: string }>(path.join(root, "node_modules", "@pulumi", "pulumi", "package.json"))
      ).version;
      if (installed !== sdk) {
        throw new Error(
          `the checkout has @pulumi/pulumi ${installed}, the floor of the package's range is ${sdk}: run npm ci`,
        );
      }
    } else {
      dir = await checkoutWithSdk(root, await ensureSdk(runtime.sdk));
    }
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${nodeBin}${path.delimiter}${process.env.PATH ?? ""}`,
      [BUILT_CLI_ONLY]: "1",
      [EXPECTED_RUNTIME]: JSON.stringify({ node: nodeVersion, sdk }),
    };
    const node = path.join(nodeBin, "node");
    const cli = await ensureMatchingCli(dir, node, env, sdk);
    const what = `Node.js ${nodeVersion}, @pulumi/pulumi ${sdk}, pulumi ${cli}`;
    // The runtime's own specs leave out the run-once ones; specs named on the command line run as named.
    const specs =
      specsOverride ??
      (runtime.specs === "suite" ? undefined : [...runtime.specs, ...RUN_ONCE_SPECS.flatMap((s) => ["--ignore", s])]);
    say(`${label}: ${what}; ${specs ? specs.join(" ") : "the whole suite (npm run test:suite)"} in ${dir}`);
    const result = specs
      ? await runCounted(node, [path.join(dir, "node_modules", "mocha", "bin", "mocha.js"), ...specs], dir, env)
      : await runCounted("npm", ["run", "--silent", "test:suite"], dir, env);
    return { label, passed: result.passed, failed: result.failed, seconds: (Date.now() - started) / 1000, what };
  } catch (err) {
    say(`${label}: could not run: ${err instanceof Error ? err.message : String(err)}`);
    return {
      label,
      passed: 0,
      failed: 1,
      seconds: (Date.now() - started) / 1000,
      what: `Node.js ${nodeVersion}, @pulumi/pulumi ${sdk}`,
    };
  } finally {
    if (dir !== root) await fs.rm(dir, { recursive: true, force: true });
  }
}

/** A notice (never a failure: the registry moves on its own) when NEWEST_SDK is no longer the newest. */
async function noticeNewerSdk(): Promise<void> {
  const latest = await execCommand("npm", ["view", "@pulumi/pulumi@latest", "version"]).catch(() => undefined);
  const version = latest?.code === 0 ? latest.stdout.trim() : undefined;
  if (version && version !== NEWEST_SDK)
    say(`notice: the registry's newest @pulumi/pulumi is ${version}; runtimes.ts tests ${NEWEST_SDK}`);
}

const minutes = (seconds: number): string =>
  `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const dashes = args.indexOf("--");
  const names = dashes === -1 ? args : args.slice(0, dashes);
  const specsOverride = dashes === -1 ? undefined : args.slice(dashes + 1);
  const root = packageRoot();
  const selected = RUNTIMES.filter(
    (r) => names.length === 0 || names.includes(labelOf(r.node === "floor" ? process.version : r.node)),
  );
  if (selected.length === 0) throw new Error(`no runtime named ${names.join(", ")}`);
  await noticeNewerSdk();
  const outcomes: Outcome[] = [];
  for (const runtime of selected) outcomes.push(await runRuntime(runtime, root, specsOverride));
  for (const o of outcomes) say(`${o.label} took ${minutes(o.seconds)} (${o.what})`);
  for (const o of outcomes) process.stdout.write(`${o.label}: ${o.passed} passed, ${o.failed} failed\n`);
  if (outcomes.some((o) => o.failed > 0)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  say(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
