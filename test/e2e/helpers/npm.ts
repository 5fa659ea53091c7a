/**
 * npm as a user runs it, for tests that install this package outside the repository: from the npm cache when it can
 * (`--prefer-offline`), without audit or funding requests.
 */
import { execFile } from "node:child_process";
import { readFile, readdir, stat } from "node:fs/promises";
import * as path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

export async function npm(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run("npm", [...args, "--no-audit", "--no-fund", "--prefer-offline"], {
    cwd,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** `npm pack` of the repository as built (dist/ must be: `npm run build`), into `dir`; returns the tarball's path. */
export async function packRepository(dir: string): Promise<string> {
  const [packed] = JSON.parse(await npm(REPO_ROOT, "pack", "--ignore-scripts", "--json", "--pack-destination", dir));
  return path.join(dir, packed.filename);
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
