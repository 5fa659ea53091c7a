/**
 * npm as a user runs it, for tests that install this package outside the repository: from the npm cache when it can
 * (`--prefer-offline`), without audit or funding requests.
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, readdir, stat, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { promisify } from "node:util";
import { withDirLock } from "../../../toolchain/dir-lock";
import { runDir } from "../../helpers/run-dir";

const run = promisify(execFile);
export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

export async function npm(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run("npm", [...args, "--no-audit", "--no-fund", "--prefer-offline"], {
    cwd,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/**
 * `npm pack` of the repository as built (dist/ must be: `npm run build`); returns the tarball's path. Packed once per
 * test run, in the run's folder (runDir) under a lock, for every suite that installs it: installing a `file:` tarball
 * only reads it.
 */
export async function packedRepository(): Promise<string> {
  const dir = path.join(runDir(), "packed");
  return withDirLock(
    `${dir}.lock`,
    () => undefined,
    async () => {
      const done = path.join(dir, "tarball.json");
      const existing = await readFile(done, "utf8").catch(() => undefined);
      if (existing !== undefined) return JSON.parse(existing) as string;
      await mkdir(dir, { recursive: true });
      const [packed] = JSON.parse(
        await npm(REPO_ROOT, "pack", "--ignore-scripts", "--json", "--pack-destination", dir),
      );
      const tarball = path.join(dir, packed.filename);
      await writeFile(done, JSON.stringify(tarball));
      return tarball;
    },
  );
}

export interface InstalledPackage {
  name: string;
  version: string;
  /** Names it depends on (dependencies, optional and peer). */
  requires: string[];
}

/** Every package under a folder's node_modules, nested ones included, read from the folders themselves. */
export async function installedPackages(dir: string): Promise<InstalledPackage[]> {
  const found: InstalledPackage[] = [];
  const modules = path.join(dir, "node_modules");
  const entries = await readdir(modules, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    const scope = path.join(modules, entry.name);
    const folders = entry.name.startsWith("@")
      ? (await readdir(scope, { withFileTypes: true })).map((e) => ({
          full: path.join(scope, e.name),
          dir: e.isDirectory(),
        }))
      : [{ full: scope, dir: entry.isDirectory() }];
    for (const folder of folders) {
      // A link is a workspace or a `file:` folder, not something npm installed.
      if (!folder.dir) continue;
      const manifest = JSON.parse(await readFile(path.join(folder.full, "package.json"), "utf8"));
      found.push({
        name: manifest.name,
        version: manifest.version,
        requires: Object.keys({
          ...manifest.dependencies,
          ...manifest.optionalDependencies,
          ...manifest.peerDependencies,
        }),
      });
      found.push(...(await installedPackages(folder.full)));
    }
  }
  return found;
}

/** This package's name, as a program depends on it. */
export const PACKAGE = "pulumi-azure-imagebuilder";

export interface Manifest {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

export const manifestOf = async (dir: string): Promise<Manifest> =>
  JSON.parse(await readFile(path.join(dir, "package.json"), "utf8")) as Manifest;

/** What only developing this repository needs: dev/'s tools, the emulator package and its own dependencies. */
export async function developmentOnly(): Promise<string[]> {
  const dev = await manifestOf(path.join(REPO_ROOT, "dev"));
  const emulator = await manifestOf(path.join(REPO_ROOT, "emulator"));
  const names = [
    ...Object.keys(dev.devDependencies ?? {}),
    "pulumi-azure-imagebuilder-emulator",
    ...Object.keys(emulator.dependencies ?? {}),
  ];
  const runtime = Object.keys((await manifestOf(REPO_ROOT)).dependencies ?? {});
  return names.filter((name) => name !== PACKAGE && !runtime.includes(name));
}

/**
 * Development-only packages that are installed although no installed package depends on them. One a runtime
 * dependency itself needs (ts-node, which @pulumi/pulumi depends on) is there for that reason, not for development.
 */
export function strayDevelopmentPackages(installed: InstalledPackage[], devOnly: string[]): string[] {
  const required = new Set(installed.flatMap((p) => p.requires));
  return devOnly.filter((name) => installed.some((p) => p.name === name) && !required.has(name));
}

export const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB`;

/** Bytes under a folder (files only, symbolic links not followed). */
export async function folderSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await folderSize(full);
    else if (entry.isFile()) total += (await stat(full)).size;
  }
  return total;
}
