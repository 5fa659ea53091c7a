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
import { EXPECTED_RUNTIME, floorSdkOf, NEWEST_SDK, RUNTIMES, type Runtime } from "./runtimes";
import { suiteFiles } from "./suite-files";

interface Outcome {
  readonly label: string;
  readonly passed: number;
  readonly failed: number;
  /** Seconds from the start until it was set up, and seconds its tests took. */
  readonly prepared: number;
  readonly ran: number;
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

/**
 * Checks that the SDK in a runtime's copy takes TypeScript and ts-node from the checkout, as the SDK does in a user's
 * project, resolving from its real path as Node.js does: an SDK that finds neither compiles programs with its vendored
 * TypeScript 3.8, which fails any program whose tsconfig asks for a newer target.
 */
async function checkSdkFindsCompiler(dir: string, root: string): Promise<void> {
  const sdk = await fs.realpath(path.join(dir, "node_modules", "@pulumi", "pulumi"));
  for (const peer of ["typescript", "ts-node"]) {
    const from = async (base: string) => fs.realpath(require.resolve(`${peer}/package.json`, { paths: [base] }));
    const found = await from(sdk).catch(() => "nothing");
    const own = await from(root);
    if (found !== own) throw new Error(`the SDK in ${dir} loads ${peer} from ${found}, not the checkout's ${own}`);
  }
}

/** A runtime ready to run: its folder (the checkout, or a copy over its SDK), `node` and environment. */
interface Prepared {
  readonly dir: string;
  readonly node: string;
  readonly env: NodeJS.ProcessEnv;
  readonly what: string;
}

const nodeVersionOf = (runtime: Runtime): string => (runtime.node === "floor" ? process.version : `v${runtime.node}`);

/** Installs what a runtime needs (Node.js, SDK, the CLI of that SDK, a copy of the checkout) and checks it. */
async function prepare(runtime: Runtime, root: string): Promise<Prepared> {
  const floor = runtime.node === "floor";
  const nodeBin = floor ? path.dirname(process.execPath) : await ensureNode(runtime.node);
  const nodeVersion = nodeVersionOf(runtime);
  const sdk = runtime.sdk === "floor" ? await floorSdk(root) : runtime.sdk;
  if (runtime.sdk === "floor") {
    const manifest = path.join(root, "node_modules", "@pulumi", "pulumi", "package.json");
    const installed = (await readJson<{ version: string }>(manifest)).version;
    if (installed !== sdk) {
      throw new Error(
        `the checkout has @pulumi/pulumi ${installed}, the floor of the package's range is ${sdk}: run npm ci`,
      );
    }
  }
  const dir = runtime.sdk === "floor" ? root : await checkoutWithSdk(root, await ensureSdk(runtime.sdk));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${nodeBin}${path.delimiter}${process.env.PATH ?? ""}`,
    [BUILT_CLI_ONLY]: "1",
    [EXPECTED_RUNTIME]: JSON.stringify({ node: nodeVersion, sdk }),
    // RELIABILITY.md's figures are the floor's (its table names the floor's command); a newer runtime's reliability
    // suites assert the same values and keep their figures in the copy, instead of replacing the floor's lines.
    ...(dir === root ? {} : { RELIABILITY_SUMMARY: path.join(dir, "reliability-figures.jsonl") }),
  };
  const node = path.join(nodeBin, "node");
  try {
    if (dir !== root) await checkSdkFindsCompiler(dir, root);
    const cli = await ensureMatchingCli(dir, node, env, sdk);
    return { dir, node, env, what: `Node.js ${nodeVersion}, @pulumi/pulumi ${sdk}, pulumi ${cli}` };
  } catch (err) {
    if (dir !== root) await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Runs a prepared runtime's test files, or the specs named on the command line; resolves with mocha's counts. */
function runPrepared(runtime: Runtime, ready: Prepared, label: string, specsOverride: string[] | undefined) {
  const specs = specsOverride ?? suiteFiles(ready.dir, runtime);
  const what = specsOverride ? specs.join(" ") : `${specs.length} files of ${runtime.folders.join(", ")}`;
  say(`${label}: ${ready.what}; ${what} in ${ready.dir}`);
  return runCounted(
    ready.node,
    [path.join(ready.dir, "node_modules", "mocha", "bin", "mocha.js"), ...specs],
    ready.dir,
    ready.env,
  );
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
  const selected = RUNTIMES.filter((r) => names.length === 0 || names.includes(labelOf(nodeVersionOf(r))));
  if (selected.length === 0) throw new Error(`no runtime named ${names.join(", ")}`);
  await noticeNewerSdk();
  // Every runtime is set up before any runs its tests: the suites keep both cores busy, so a set-up beside them (npm
  // installs, a cold CLI build) would lengthen the figures TESTING.md gives for each runtime's tests.
  const preparing = selected.map((runtime) => {
    const started = Date.now();
    const seconds = () => (Date.now() - started) / 1000;
    return prepare(runtime, root).then(
      (ready) => ({ ready, seconds: seconds() }),
      (error: unknown) => ({ error, seconds: seconds() }),
    );
  });
  const preparedAll = await Promise.all(preparing);
  const outcomes: Outcome[] = [];
  for (const [i, runtime] of selected.entries()) {
    const label = labelOf(nodeVersionOf(runtime));
    const prepared = preparedAll[i];
    if (!("ready" in prepared)) {
      const { error } = prepared;
      say(`${label}: could not be set up: ${error instanceof Error ? error.message : String(error)}`);
      outcomes.push({ label, passed: 0, failed: 1, prepared: prepared.seconds, ran: 0, what: runtime.node });
      continue;
    }
    const started = Date.now();
    try {
      const result = await runPrepared(runtime, prepared.ready, label, specsOverride);
      const ran = (Date.now() - started) / 1000;
      outcomes.push({ label, ...result, prepared: prepared.seconds, ran, what: prepared.ready.what });
    } finally {
      if (prepared.ready.dir !== root) await fs.rm(prepared.ready.dir, { recursive: true, force: true });
    }
  }
  for (const o of outcomes) {
    say(`${o.label}: ${o.what}: set up in ${minutes(o.prepared)} (before any tests), tests ${minutes(o.ran)}`);
  }
  for (const o of outcomes) process.stdout.write(`${o.label}: ${o.passed} passed, ${o.failed} failed\n`);
  if (outcomes.some((o) => o.failed > 0)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  say(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
