/**
 * Ensures a directory holding `pulumi`, `pulumi-language-nodejs` and `pulumi-resource-pulumi-nodejs` side by side,
 * and returns its absolute path. All three must share one directory: the CLI looks for bundled plugins on PATH and
 * next to its own (symlink-resolved) executable, and warns when the two disagree. The directory is always named
 * `bin`, so its parent can serve as `PulumiCommand.get({ root })` for the Automation API.
 *
 * 1. A `pulumi` >= 3.248 on PATH that comes with its Node.js language host is reused through symlinks in
 *    `<cache>/linked-<id>/bin`.
 * 2. Otherwise the CLI matching the installed `@pulumi/pulumi` is built from the Go module proxy, together with our own
 *    language host, into `<cache>/pulumi-v<version>/bin` (see built-pulumi.ts). Later calls only verify it.
 *
 * Both also get the Pulumi YAML language host (`pulumi-language-yaml`, yaml-host.ts), for YAML programs of the plugin.
 *
 * `<cache>` is `${XDG_CACHE_HOME:-~/.cache}/pulumi-azure-imagebuilder`.
 * CLI: `npm run --silent pulumi:bin` prints only the directory on stdout; progress goes to stderr.
 */
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { binDirOf, buildPulumi, cliIsCurrent, hostIsCurrent, type BuiltPulumiRequest } from "./built-pulumi";
import { packageRoot } from "../provider/load";
import { withDirLock } from "./dir-lock";
import { findPathPulumi, linkDirFor, linkInto } from "./path-pulumi";
import { ensureYamlHost, YAML_HOST } from "./yaml-host";

/** The dynamic-provider plugin script; the engine passes its output through live only under this exact name. */
const DYNAMIC_PLUGIN = "pulumi-resource-pulumi-nodejs";

export interface EnsurePulumiOptions {
  /** Environment to probe (PATH, XDG_CACHE_HOME, Go settings); defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Progress sink; defaults to stderr. */
  readonly log?: (line: string) => void;
  /** Folder whose installed @pulumi/pulumi selects the CLI (e.g. a program installed elsewhere); defaults to this package's root. */
  readonly sdkRoot?: string;
}

/**
 * Set to "1", only the CLI built for the installed SDK is used, never one on PATH: the runtime runner
 * (test-runtimes.ts) sets it so each runtime runs against exactly the CLI release of its SDK.
 */
export const BUILT_CLI_ONLY = "IMAGEBUILDER_PULUMI_BUILT_ONLY";

const logToStderr = (line: string): void => {
  process.stderr.write(`[pulumi:bin] ${line}\n`);
};

export function cacheRoot(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), ".cache");
  return path.join(base, "pulumi-azure-imagebuilder");
}

interface Sdk {
  readonly version: string;
  readonly pluginScript: string;
}

/** The installed @pulumi/pulumi: its version selects the CLI to build, and it ships the dynamic plugin script. */
async function installedSdk(root: string): Promise<Sdk> {
  const manifest = require.resolve("@pulumi/pulumi/package.json", { paths: [root] });
  const { version } = JSON.parse(await fs.readFile(manifest, "utf8")) as { version: string };
  return { version, pluginScript: path.join(path.dirname(manifest), DYNAMIC_PLUGIN) };
}

/**
 * Copies the plugin script into binDir. A copy rather than a link: the cache outlives any one checkout, and the
 * script only resolves @pulumi/pulumi from the project directory the engine runs it in, so it is checkout-independent.
 */
async function installPluginScript(script: string, binDir: string): Promise<void> {
  const target = path.join(binDir, DYNAMIC_PLUGIN);
  const wanted = await fs.readFile(script);
  const current = await fs.readFile(target).catch(() => undefined);
  if (current?.equals(wanted) && !(await fs.lstat(target)).isSymbolicLink()) return;
  const temp = path.join(binDir, `.${DYNAMIC_PLUGIN}.${process.pid}.tmp`);
  await fs.writeFile(temp, wanted, { mode: 0o755 });
  await fs.rename(temp, target);
}

async function pluginScriptIsCurrent(script: string, binDir: string): Promise<boolean> {
  const [wanted, current] = await Promise.all([
    fs.readFile(script),
    fs.readFile(path.join(binDir, DYNAMIC_PLUGIN)).catch(() => undefined),
  ]);
  return current?.equals(wanted) ?? false;
}

async function builtIsComplete(req: BuiltPulumiRequest, sdk: Sdk): Promise<boolean> {
  const binDir = binDirOf(req.versionDir);
  const checks = await Promise.all([
    cliIsCurrent(binDir, req.version, req.env),
    hostIsCurrent(binDir, req.hostSourceDir),
    pluginScriptIsCurrent(sdk.pluginScript, binDir),
  ]);
  return checks.every(Boolean);
}

/** Returns the absolute bin directory (see the module comment); builds the CLI first if needed. */
export async function ensurePulumi(options: EnsurePulumiOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const log = options.log ?? logToStderr;
  const root = packageRoot();
  const sdk = await installedSdk(options.sdkRoot ?? root);
  const cache = cacheRoot(env);

  const found = env[BUILT_CLI_ONLY] === "1" ? undefined : await findPathPulumi(env, cache);
  if (found) {
    const binDir = path.join(linkDirFor(cache, found), "bin");
    await fs.mkdir(binDir, { recursive: true });
    await linkInto(binDir, "pulumi", found.pulumi);
    await linkInto(binDir, "pulumi-language-nodejs", found.languageHost);
    await (found.dynamicPlugin
      ? linkInto(binDir, DYNAMIC_PLUGIN, found.dynamicPlugin)
      : installPluginScript(sdk.pluginScript, binDir));
    await linkInto(binDir, YAML_HOST, found.yamlHost ?? (await ensureYamlHost(cache, env, log)));
    log(`using ${found.pulumi} from PATH`);
    return fs.realpath(binDir);
  }

  const request: BuiltPulumiRequest = {
    version: sdk.version,
    versionDir: path.join(cache, `pulumi-v${sdk.version}`),
    hostSourceDir: path.join(root, "toolchain", "language-host"),
    env,
    log,
  };
  if (!(await builtIsComplete(request, sdk))) {
    await withDirLock(path.join(request.versionDir, ".lock"), log, async () => {
      await buildPulumi(request);
      await installPluginScript(sdk.pluginScript, binDirOf(request.versionDir));
    });
  }
  await linkInto(binDirOf(request.versionDir), YAML_HOST, await ensureYamlHost(cache, env, log));
  return fs.realpath(binDirOf(request.versionDir));
}

if (require.main === module) {
  ensurePulumi().then(
    (binDir) => process.stdout.write(`${binDir}\n`),
    (err: unknown) => {
      logToStderr(err instanceof Error ? err.message : String(err));
      process.exitCode = 1;
    },
  );
}
