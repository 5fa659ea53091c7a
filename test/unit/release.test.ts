/**
 * The release path: the workflow passes actionlint, and the script it runs packs and (dry-run) publishes both packages
 * from the tested build with the changelog section as notes, refusing a tag, version or changelog that disagree.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { ensureActionlint } from "../../toolchain/ensure-actionlint";
import { changelogSection, release, tagVersion } from "../../toolchain/release";

const ROOT = path.resolve(__dirname, "../..");
const CHANGELOG = `# Changelog

## [Unreleased]

### Fixed
- next

## [1.2.0] - 2027-01-02

### Added
- a thing

## [1.1.0] - 2026-12-01
- older

[1.2.0]: https://example.invalid/compare/v1.1.0...v1.2.0
`;

describe("release", function () {
  this.timeout(5 * 60_000);
  const temps: string[] = [];
  const tempDir = async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "release-test-"));
    temps.push(dir);
    return dir;
  };
  after(async () => {
    await Promise.all(temps.map((d) => fs.rm(d, { recursive: true, force: true })));
  });

  it("reads a version's changelog section without its heading, the next section or link definitions", () => {
    assert.equal(changelogSection(CHANGELOG, "1.2.0"), "### Added\n- a thing");
    assert.equal(changelogSection(CHANGELOG, "1.1.0"), "- older");
    assert.equal(changelogSection(CHANGELOG, "Unreleased"), "### Fixed\n- next");
    assert.equal(changelogSection(CHANGELOG, "1.3.0"), undefined);
    assert.equal(changelogSection(CHANGELOG, "1.2"), undefined, "no partial version match");
    assert.equal(changelogSection("## [2.0.0] - 2027-02-02\n\n## [1.0.0]\n- x\n", "2.0.0"), undefined, "empty section");
  });

  it("takes v<semver> tags only", () => {
    assert.equal(tagVersion("v1.2.3"), "1.2.3");
    assert.equal(tagVersion("v1.2.3-rc.1"), "1.2.3-rc.1");
    for (const tag of ["1.2.3", "v1.2", "release-1.2.3", "v1.2.3 "]) assert.equal(tagVersion(tag), undefined, tag);
  });

  it("refuses a tag that is not the packages' version, and a publish without the version's changelog section", async () => {
    const root = await tempDir();
    await fs.mkdir(path.join(root, "emulator"));
    for (const dir of [root, path.join(root, "emulator")]) {
      await fs.writeFile(
        path.join(dir, "package.json"),
        JSON.stringify({ name: path.basename(dir), version: "1.3.0" }),
      );
    }
    await fs.writeFile(path.join(root, "CHANGELOG.md"), CHANGELOG);
    const outDir = path.join(root, "out");
    await assert.rejects(release({ tag: "v1.2.0", outDir, dryRun: true, root }), {
      message: `${path.basename(root)} is at 1.3.0, the tag says 1.2.0: bump package.json first`,
    });
    await assert.rejects(release({ tag: "1.3.0", outDir, dryRun: true, root }), /is not a release tag/);
    await assert.rejects(release({ tag: "v1.3.0", outDir, dryRun: false, root }), {
      message: 'CHANGELOG.md has no section "## [1.3.0] - <date>" with the release\'s changes',
    });
    await assert.rejects(fs.access(outDir), { code: "ENOENT" }, "nothing is packed before the checks pass");
  });

  it("packs both packages from the tested build and dry-runs their publish, with the changelog's notes", async () => {
    const outDir = await tempDir();
    const { version } = JSON.parse(await fs.readFile(path.join(ROOT, "package.json"), "utf8"));
    const lines: string[] = [];
    const result = await release({ tag: `v${version}`, outDir, dryRun: true, log: (l) => lines.push(l) });
    assert.deepEqual(
      result.tarballs.map((t) => path.basename(t)),
      [`pulumi-azure-imagebuilder-${version}.tgz`, `pulumi-azure-imagebuilder-emulator-${version}.tgz`],
    );
    const notes = await fs.readFile(path.join(outDir, "notes.md"), "utf8");
    const changelog = await fs.readFile(path.join(ROOT, "CHANGELOG.md"), "utf8");
    assert.equal(notes, `${changelogSection(changelog, version) ?? changelogSection(changelog, "Unreleased")}\n`);
    assert.ok(notes.length > 20, "the notes say something");
    assert.equal(lines.filter((l) => /^npm publish .* --dry-run --access public$/.test(l)).length, 2, lines.join("\n"));
    const listed = execFileSync("tar", ["-tzf", result.tarballs[0]], { encoding: "utf8" }).split("\n");
    assert.ok(listed.includes("package/dist/provider/index.js"), "the provider's build is in the tarball");
    assert.ok(listed.includes("package/CHANGELOG.md"));
    assert.ok(listed.includes("package/dist/plugin/main.js"), "the plugin's build is in the tarball");
    assert.ok(listed.includes("package/plugin/bin/pulumi-resource-azure-imagebuilder"), "and its launcher");
    assert.match(
      path.basename(result.plugin),
      new RegExp(`^pulumi-resource-azure-imagebuilder-v${version}-\\w+-\\w+\\.tar\\.gz$`),
    );
    const plugin = execFileSync("tar", ["-tzf", result.plugin, "./pulumi-resource-azure-imagebuilder"], {
      encoding: "utf8",
    }).split("\n");
    assert.ok(plugin.includes("./pulumi-resource-azure-imagebuilder"), "the plugin tarball has its executable on top");
  });

  it("has a release workflow that actionlint accepts", async () => {
    const actionlint = await ensureActionlint();
    const workflows = (await fs.readdir(path.join(ROOT, ".github/workflows"))).map((f) => `.github/workflows/${f}`);
    assert.ok(workflows.includes(".github/workflows/release.yml"));
    // shellcheck and pyflakes are left out: actionlint uses them only when installed, which would make the check
    // depend on the machine.
    const output = execFileSync(actionlint, ["-shellcheck=", "-pyflakes=", ...workflows], {
      cwd: ROOT,
      encoding: "utf8",
    });
    assert.equal(output, "");
  });
});
