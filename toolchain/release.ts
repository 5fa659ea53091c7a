/**
 * The release of a version tag, as `.github/workflows/release.yml` runs it after the full test suite: checks that the
 * tag names the packages' version and that CHANGELOG.md has its section, packs the provider and the emulator from the
 * build the tests ran against (no scripts: nothing is rebuilt between testing and publishing), and publishes exactly
 * those tarballs. `--dry-run` does all of it but the upload (`npm publish --dry-run`, without provenance, which only a
 * CI identity can sign), and takes the `[Unreleased]` section when the version has none yet.
 *
 *   node dist/toolchain/release.js <tag> --out <dir> [--dry-run]
 *
 * It writes `<dir>/notes.md` (the changelog section, for the GitHub release), `<dir>/*.tgz` and the plugin tarball
 * `<dir>/pulumi-resource-azure-imagebuilder-v<version>-<os>-<arch>.tar.gz` (plugin-tarball.ts) the release attaches.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { execChecked } from "./exec";
import { packageRoot } from "../provider/load";
import { buildPluginTarball } from "./plugin-tarball";

/** The packages a release publishes, by folder under the repository root. */
const PACKAGES = [".", "emulator"];

/** A `## [x.y.z] - date` (or `## [Unreleased]`) section of a Keep a Changelog file, without its heading. */
export function changelogSection(changelog: string, version: string): string | undefined {
  const heading = new RegExp(`^## \\[${version.replace(/\./g, "\\.")}\\](?: - \\d{4}-\\d{2}-\\d{2})?\\s*$`, "m");
  const start = heading.exec(changelog);
  if (!start) return undefined;
  const rest = changelog.slice(start.index + start[0].length);
  const end = rest.search(/^## \[/m);
  const body = (end === -1 ? rest : rest.slice(0, end)).replace(/^\[[^\]]+\]: .*$/gm, "").trim();
  return body || undefined;
}

/** The version a tag names: `v1.2.3` (pre-releases `v1.2.3-rc.1` too); undefined for anything else. */
export function tagVersion(tag: string): string | undefined {
  return /^v(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/.exec(tag)?.[1];
}

export interface ReleaseOptions {
  tag: string;
  outDir: string;
  dryRun: boolean;
  root?: string;
  log?: (line: string) => void;
}

export interface Release {
  version: string;
  notes: string;
  tarballs: string[];
  /** The plugin tarball (`pulumi plugin install resource azure-imagebuilder <version> --file`), for the GitHub release. */
  plugin: string;
}

export async function release(options: ReleaseOptions): Promise<Release> {
  const root = options.root ?? packageRoot();
  const log = options.log ?? ((line: string) => console.log(line));
  const version = tagVersion(options.tag);
  if (!version) throw new Error(`${options.tag} is not a release tag: expected v<major>.<minor>.<patch>`);
  for (const dir of PACKAGES) {
    const manifest = JSON.parse(await fs.readFile(path.join(root, dir, "package.json"), "utf8"));
    if (manifest.version !== version) {
      throw new Error(`${manifest.name} is at ${manifest.version}, the tag says ${version}: bump package.json first`);
    }
  }
  const changelog = await fs.readFile(path.join(root, "CHANGELOG.md"), "utf8");
  let notes = changelogSection(changelog, version);
  if (!notes && options.dryRun) {
    notes = changelogSection(changelog, "Unreleased");
    if (notes) log(`CHANGELOG.md has no [${version}] section yet: the dry run takes [Unreleased]`);
  }
  if (!notes) throw new Error(`CHANGELOG.md has no section "## [${version}] - <date>" with the release's changes`);

  await fs.mkdir(options.outDir, { recursive: true });
  await fs.writeFile(path.join(options.outDir, "notes.md"), `${notes}\n`);
  const tarballs: string[] = [];
  for (const dir of PACKAGES) {
    const packed = JSON.parse(
      await execChecked(
        "npm",
        // A folder spec from the root: `npm pack` run inside a workspace conflicts with .npmrc's workspaces=false.
        ["pack", `./${dir}`, "--json", "--ignore-scripts", "--pack-destination", path.resolve(options.outDir)],
        { cwd: root },
      ),
    ) as { filename: string }[];
    const tarball = path.resolve(options.outDir, packed[0].filename);
    tarballs.push(tarball);
    const publish = options.dryRun
      ? ["publish", tarball, "--dry-run", "--access", "public"]
      : ["publish", tarball, "--provenance", "--access", "public"];
    log(`npm ${publish.join(" ")}`);
    await execChecked("npm", publish, { cwd: root });
  }
  const plugin = await buildPluginTarball(options.outDir, root);
  log(`plugin ${path.basename(plugin)}`);
  return { version, notes, tarballs, plugin };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const out = args.indexOf("--out");
  const tag = args.find((a, i) => !a.startsWith("--") && i !== out + 1);
  if (!tag || out === -1 || !args[out + 1]) {
    console.error("usage: node dist/toolchain/release.js <tag> --out <dir> [--dry-run]");
    process.exit(2);
  }
  release({ tag, outDir: args[out + 1], dryRun: args.includes("--dry-run") }).then(
    (r) => console.log(`released ${r.version}: ${[...r.tarballs, r.plugin].map((t) => path.basename(t)).join(", ")}`),
    (e: unknown) => {
      console.error((e as Error).message);
      process.exit(1);
    },
  );
}
