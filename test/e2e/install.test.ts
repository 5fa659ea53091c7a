/**
 * Installing the package from git, as a user can before a release, and what it pulls in: `git+file://` of a clone of
 * HEAD: npm clones it again, installs what `prepare` needs and runs it; .npmrc keeps that to the provider's own graph,
 * so no workspace (the emulator with Azurite, dev/ with Stryker) is installed, and `prepare` builds the provider only.
 * The test prints what it installed (packages, size, time), from the npm cache when it can. The packed tarball's
 * install (what `npm publish` uploads, production dependencies only) is the examples suite's (examples.test.ts).
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import {
  developmentOnly,
  folderSize,
  installedPackages,
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

    // What npm's preparation pulls happens in a temporary clone it deletes afterwards, so this runs it as npm does,
    // in a clone of ours: pacote's npmInstallCmd and npmCliConfig (npm 11), which also runs `prepare`.
    const prepared = path.join(work, "prepared");
    await run("git", ["clone", "--quiet", clone, prepared]);
    let started = Date.now();
    await npm(
      prepared,
      "install",
      "--force",
      "--no-progress",
      "--no-save",
      "--include=dev",
      "--include=peer",
      "--include=optional",
      "--no-package-lock-only",
      "--no-dry-run",
    );
    const prepareSeconds = Math.round((Date.now() - started) / 1000);
    const preparation = await installedPackages(prepared);
    const prepNames = new Set(preparation.map((p) => p.name));
    assert.ok(prepNames.has("typescript"), "the build's compiler is installed");
    for (const name of ["azurite", "@stryker-mutator/core", "mocha", "eslint", "pulumi-azure-imagebuilder-emulator"]) {
      assert.ok(!prepNames.has(name), `${name} is no part of the provider's build`);
    }
    assert.deepEqual(strayDevelopmentPackages(preparation, await developmentOnly()), []);
    assert.deepEqual(await readdir(path.join(prepared, "dist")), ["provider"], "prepare builds the provider only");
    console.log(
      `      git preparation: ${preparation.length} packages, ${megabytes(await folderSize(path.join(prepared, "node_modules")))}, ${prepareSeconds} s`,
    );

    // The real thing: npm clones, prepares (as above), packs and installs the result.
    const program = path.join(work, "git-program");
    await mkdir(program);
    await writeFile(path.join(program, "package.json"), JSON.stringify({ name: "git-program", private: true }));
    started = Date.now();
    await npm(program, "install", `git+file://${clone}`);
    const seconds = Math.round((Date.now() - started) / 1000);
    const installed = await installedPackages(program);
    assert.deepEqual(strayDevelopmentPackages(installed, await developmentOnly()), []);
    assert.deepEqual(await readdir(path.join(program, "node_modules", PACKAGE, "dist")), ["provider"]);
    const { ImageTemplate } = require(path.join(program, "node_modules", PACKAGE)) as { ImageTemplate: unknown };
    assert.equal(typeof ImageTemplate, "function");
    console.log(
      `      git install: ${installed.length} packages, ${megabytes(await folderSize(path.join(program, "node_modules")))}, ${seconds} s`,
    );
  });
});
