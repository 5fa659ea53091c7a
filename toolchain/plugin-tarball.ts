/**
 * The plugin tarball `pulumi plugin install resource azure-imagebuilder <version> --file <tarball>` installs: this
 * package as `npm pack` makes it (dist/ as built), installed with its production dependencies only, and at the top
 * the executable the engine runs, a link to the package's launcher (plugin/bin). node must be on the PATH.
 *
 *   npm run plugin:tarball [-- --out <dir>]     prints the tarball's path
 */
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { execChecked } from "./exec";
import { packageRoot } from "../provider/load";

export const PLUGIN = "pulumi-resource-azure-imagebuilder";
const LAUNCHER = path.join("plugin", "bin", PLUGIN);

/** Pulumi's names for this machine, as plugin archives are named (`<plugin>-v<version>-<os>-<arch>.tar.gz`). */
const platform = () =>
  `${process.platform === "win32" ? "windows" : process.platform}-${process.arch === "x64" ? "amd64" : process.arch}`;

const npm = (cwd: string, ...args: string[]) =>
  execChecked("npm", [...args, "--no-audit", "--no-fund", "--prefer-offline"], { cwd });

export async function buildPluginTarball(outDir: string, root = packageRoot()): Promise<string> {
  const { name, version } = JSON.parse(await fs.readFile(path.join(root, "package.json"), "utf8"));
  const stage = await fs.mkdtemp(path.join(os.tmpdir(), "plugin-tarball-"));
  try {
    // --ignore-scripts: packed and installed exactly as built and tested, nothing rebuilt.
    const [packed] = JSON.parse(await npm(root, "pack", "--ignore-scripts", "--json", "--pack-destination", stage));
    await fs.writeFile(path.join(stage, "package.json"), JSON.stringify({ name: PLUGIN, version, private: true }));
    await npm(stage, "install", "--omit=dev", "--ignore-scripts", path.join(stage, packed.filename));
    await fs.rm(path.join(stage, packed.filename));
    await fs.symlink(path.join("node_modules", name, LAUNCHER), path.join(stage, PLUGIN));
    await fs.mkdir(outDir, { recursive: true });
    const tarball = path.resolve(outDir, `${PLUGIN}-v${version}-${platform()}.tar.gz`);
    await execChecked("tar", ["-czf", tarball, "-C", stage, "."]);
    return tarball;
  } finally {
    await fs.rm(stage, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const at = process.argv.indexOf("--out");
  buildPluginTarball(at > 0 ? process.argv[at + 1] : path.join(packageRoot(), "dist", "plugin-tarball")).then(
    (tarball) => process.stdout.write(`${tarball}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
