/**
 * Another `@pulumi/pulumi` for this checkout without touching its lockfile or node_modules: the SDK is installed with
 * its own dependency tree into the cache, and a copy of the checkout (sources, dist/, examples; .git only as a file naming the checkout's) gets a
 * node_modules made of links to the checkout's packages, except `@pulumi/pulumi`, which is laid out as a user's
 * install has it when its dependencies clash with the project's: the SDK's files in the project's node_modules, and a
 * node_modules of its own inside it linking to its tree in the cache. Node.js resolves a package from its real path,
 * so the SDK's dependencies come from its own tree, and what the SDK takes from the project when the project has it
 * comes from the checkout: its optional peers `typescript` and `ts-node`, which compile a TypeScript program. (With
 * the SDK linked into the cache instead, it looked for them there, found none and compiled programs with its vendored
 * TypeScript 3.8, which rejects `"target": "ES2022"`.) The copy's package links (the package itself, the emulator
 * workspace) are relative and point into the copy.
 *
 * `<cache>/pulumi-sdk-v<version>/node_modules/@pulumi/pulumi`
 */
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { cacheRoot } from "./ensure-pulumi";
import { withDirLock } from "./dir-lock";
import { execChecked } from "./exec";

const SDK = path.join("@pulumi", "pulumi");
/** What a copy leaves out: installed or generated folders, and state of earlier runs. */
const NOT_COPIED = new Set(["node_modules", ".git", ".demo", ".pulumi-e2e", "reports", ".stryker-tmp"]);

async function installedVersion(packageDir: string): Promise<string | undefined> {
  const manifest = await fs.readFile(path.join(packageDir, "package.json"), "utf8").catch(() => undefined);
  return manifest === undefined ? undefined : (JSON.parse(manifest) as { version: string }).version;
}

/** Installs `@pulumi/pulumi@<version>` with its dependencies into the cache; returns the package's folder. */
export async function ensureSdk(
  version: string,
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = (line) => process.stderr.write(`[sdk] ${line}\n`),
): Promise<string> {
  const dir = path.join(cacheRoot(env), `pulumi-sdk-v${version}`);
  const packageDir = path.join(dir, "node_modules", SDK);
  if ((await installedVersion(packageDir)) === version) return packageDir;
  await withDirLock(`${dir}.lock`, log, async () => {
    if ((await installedVersion(packageDir)) === version) return;
    log(`installing @pulumi/pulumi ${version} into ${dir} ...`);
    await fs.rm(dir, { recursive: true, force: true });
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(
      path.join(dir, "package.json"),
      JSON.stringify({ private: true, name: "pulumi-sdk-overlay", dependencies: { "@pulumi/pulumi": version } }),
    );
    // The SDK's engines may ask for a newer Node.js than the one running npm: it runs under the runtime that wants it.
    await execChecked("npm", ["install", "--engine-strict=false", "--no-audit", "--no-fund", "--prefer-offline"], {
      cwd: dir,
      env,
    });
  });
  const installed = await installedVersion(packageDir);
  if (installed !== version) throw new Error(`${packageDir} holds @pulumi/pulumi ${installed}, expected ${version}`);
  return packageDir;
}

/** Puts a package at `target` instead of a link to its namesake. */
type Placement = (target: string) => Promise<void>;

/** Links every entry of `from` (a node_modules folder) into `to`, except the names `place` puts there itself. */
async function linkModules(from: string, to: string, place: Record<string, Placement>): Promise<void> {
  await fs.mkdir(to, { recursive: true });
  for (const entry of await fs.readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    const inScope = Object.keys(place).filter((name) => name.startsWith(`${entry.name}${path.sep}`));
    if (place[entry.name] !== undefined) {
      await place[entry.name](target);
    } else if (inScope.length > 0) {
      const scoped = Object.fromEntries(inScope.map((name) => [path.basename(name), place[name]]));
      await linkModules(source, target, scoped);
    } else if (entry.isSymbolicLink()) {
      // A workspace or the package itself, linked relatively: the same link in the copy points into the copy.
      await fs.symlink(await fs.readlink(source), target);
    } else {
      await fs.symlink(source, target);
    }
  }
}

/**
 * The SDK at `sdkDir` copied to `target`, with a node_modules of links to the rest of the tree it was installed in,
 * leaving itself out: a `require("@pulumi/pulumi")` inside it finds this copy, one SDK in the process.
 */
async function placeSdk(sdkDir: string, target: string): Promise<void> {
  await fs.cp(sdkDir, target, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  const tree = path.dirname(path.dirname(sdkDir));
  await linkModules(tree, path.join(target, "node_modules"), { [SDK]: async () => undefined });
}

/**
 * A temporary copy of `checkout` whose `@pulumi/pulumi` is the package at `sdkDir` (from ensureSdk); remove it with
 * `fs.rm(dir, { recursive: true })`. dist/ is copied as built: build the checkout first.
 */
export async function checkoutWithSdk(checkout: string, sdkDir: string): Promise<string> {
  const copy = await fs.mkdtemp(path.join(os.tmpdir(), "imagebuilder-sdk-"));
  for (const entry of await fs.readdir(checkout)) {
    if (NOT_COPIED.has(entry)) continue;
    await fs.cp(path.join(checkout, entry), path.join(copy, entry), {
      recursive: true,
      verbatimSymlinks: true,
      // Kept as they are: tests compare dist/ with its sources by modification time.
      preserveTimestamps: true,
      filter: (source) => path.basename(source) !== "node_modules",
    });
  }
  await linkModules(path.join(checkout, "node_modules"), path.join(copy, "node_modules"), {
    [SDK]: (target) => placeSdk(sdkDir, target),
  });
  // The copy reads the checkout's repository (a .git file naming its git dir): the install test clones HEAD from it.
  const dotGit = path.join(checkout, ".git");
  const kind = await fs.stat(dotGit).catch(() => undefined);
  if (kind?.isDirectory()) await fs.writeFile(path.join(copy, ".git"), `gitdir: ${dotGit}\n`);
  else if (kind?.isFile()) await fs.copyFile(dotGit, path.join(copy, ".git"));
  return copy;
}
