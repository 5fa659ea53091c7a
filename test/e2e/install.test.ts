/**
 * Installing the package from git, as a user can before a release, and what it pulls in: `git+file://` of a clone of
 * HEAD: npm clones it again, installs what `prepare` needs and runs it; .npmrc keeps that to the provider's own graph,
 * so no workspace (the emulator with Azurite, dev/ with Stryker) is installed, and `prepare` builds the provider only
 * (the installed package holds dist/provider alone).
 * The test prints what it installed (packages, size, time), from the npm cache when it can. The packed tarball's
 * install (what `npm publish` uploads, production dependencies only) is the examples suite's (examples.test.ts).
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import {
  developmentOnly,
  folderSize,
  installedPackages,
  type InstalledPackage,
  megabytes,
  npm,
  PACKAGE,
  REPO_ROOT,
  strayDevelopmentPackages,
} from "./helpers/npm";

const run = promisify(execFile);

describe("installing the package as a user", function () {
  this.timeout(20 * 60_000);
  let work: string;

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), "install-"));
  });

  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("from git (git+file:// of a clone of HEAD): preparing it installs the provider's graph only and builds the provider alone", async () => {
    const clone = path.join(work, "clone");
    await run("git", ["clone", "--quiet", REPO_ROOT, clone]);

    // npm's preparation runs in a temporary clone it deletes afterwards, so what it installs is read from the same
    // install (pacote's npmInstallCmd and npmCliConfig, npm 11) run on a clone of ours as a dry run: the packages it
    // would add (`--ignore-scripts`, or the dry run still runs `prepare`), and from the lockfile what each requires.
    // The real install below then prepares, packs and installs: one preparation, not two (26 s of CPU each).
    const prepared = path.join(work, "prepared");
    await run("git", ["clone", "--quiet", clone, prepared]);
    const planned = await npm(
      prepared,
      "install",
      "--force",
      "--no-progress",
      "--no-save",
      "--include=dev",
      "--include=peer",
      "--include=optional",
      "--no-package-lock-only",
      "--dry-run",
      "--ignore-scripts",
      "--json",
    );
    // The dry run prints `add <name> <version>` lines, then the JSON.
    const { add } = JSON.parse(planned.slice(planned.search(/^\{/m))) as { add: { name: string; path: string }[] };
    const lock = JSON.parse(await readFile(path.join(prepared, "package-lock.json"), "utf8")) as {
      packages: Record<string, Record<string, Record<string, string> | undefined>>;
    };
    const preparation: InstalledPackage[] = add.map(({ name, path: at }) => {
      const entry = lock.packages[path.relative(prepared, at)] ?? {};
      const requires = Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies });
      return { name, version: String(entry.version), requires };
    });
    const prepNames = new Set(preparation.map((p) => p.name));
    assert.ok(prepNames.has("typescript"), "the build's compiler is installed");
    for (const name of ["azurite", "@stryker-mutator/core", "mocha", "eslint", "pulumi-azure-imagebuilder-emulator"]) {
      assert.ok(!prepNames.has(name), `${name} is no part of the provider's build`);
    }
    assert.deepEqual(strayDevelopmentPackages(preparation, await developmentOnly()), []);
    console.log(`      git preparation: ${preparation.length} packages`);

    // The real thing: npm clones, prepares (as above), packs and installs the result.
    const program = path.join(work, "git-program");
    await mkdir(program);
    await writeFile(path.join(program, "package.json"), JSON.stringify({ name: "git-program", private: true }));
    const started = Date.now();
    await npm(program, "install", `git+file://${clone}`);
    const seconds = Math.round((Date.now() - started) / 1000);
    const installed = await installedPackages(program);
    assert.deepEqual(strayDevelopmentPackages(installed, await developmentOnly()), []);
    // `prepare` built the provider alone: the packed files take dist/plugin too, had it been built.
    assert.deepEqual(await readdir(path.join(program, "node_modules", PACKAGE, "dist")), ["provider"]);
    const { ImageTemplate } = require(path.join(program, "node_modules", PACKAGE)) as { ImageTemplate: unknown };
    assert.equal(typeof ImageTemplate, "function");
    console.log(
      `      git install: ${installed.length} packages, ${megabytes(await folderSize(path.join(program, "node_modules")))}, ${seconds} s`,
    );
  });
});
