/**
 * Installing the package the two ways a user can before and after a release, and what each pulls in:
 * - the packed tarball (what `npm publish` uploads) into an empty program with production dependencies only: the
 *   package's runtime dependencies and nothing the repository develops with (no dev tool, no emulator, no Azurite);
 *   then an `up` of that program against the emulator through the real engine.
 * - `git+file://` of a clone of HEAD: npm clones it again, installs what `prepare` needs and runs it; .npmrc keeps
 *   that to the provider's own graph, so no workspace (the emulator with Azurite, dev/ with Stryker) is installed,
 *   and `prepare` builds the provider only.
 * Each test prints what it installed (packages, size, time). Both install from the npm cache when they can.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { ENSURE_TIMEOUT_MS, pulumiBinDir } from "./helpers/engine";
import { folderSize, installedPackages, npm, packedRepository, REPO_ROOT, type InstalledPackage } from "./helpers/npm";
import { startEngineSuite, templates } from "./helpers/stacks";

const run = promisify(execFile);
const PACKAGE = "pulumi-azure-imagebuilder";

const manifestOf = async (dir: string) =>
  JSON.parse(await readFile(path.join(dir, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };

/** What only developing this repository needs: dev/'s tools, the emulator package and its own dependencies. */
async function developmentOnly(): Promise<string[]> {
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
function strayDevelopmentPackages(installed: InstalledPackage[], devOnly: string[]): string[] {
  const required = new Set(installed.flatMap((p) => p.requires));
  return devOnly.filter((name) => installed.some((p) => p.name === name) && !required.has(name));
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

describe("installing the package as a user", function () {
  this.timeout(20 * 60_000);
  let work: string;

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), "install-"));
  });

  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("from the packed tarball, production dependencies only: runtime packages alone, and an up against the emulator", async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    // dist/ is built by `npm test` (and must be for any e2e run).
    const tarball = await packedRepository();
    const program = path.join(work, "tarball-program");
    await mkdir(program);
    const quickstart = path.join(REPO_ROOT, "examples", "quickstart");
    for (const file of ["Pulumi.yaml", "index.ts", "tsconfig.json"]) {
      await cp(path.join(quickstart, file), path.join(program, file));
    }
    const { dependencies = {}, devDependencies = {} } = await manifestOf(quickstart);
    // The program's own TypeScript is a production dependency here: Pulumi compiles the program with it.
    await writeFile(
      path.join(program, "package.json"),
      JSON.stringify({
        name: "tarball-program",
        private: true,
        dependencies: { ...dependencies, ...devDependencies, [PACKAGE]: `file:${tarball}` },
      }),
    );
    const started = Date.now();
    await npm(program, "install", "--omit=dev");
    const seconds = Math.round((Date.now() - started) / 1000);

    const installed = await installedPackages(program);
    const names = new Set(installed.map((p) => p.name));
    const runtime = Object.keys((await manifestOf(REPO_ROOT)).dependencies ?? {});
    for (const name of [PACKAGE, ...runtime]) assert.ok(names.has(name), `${name} is installed`);
    assert.deepEqual(strayDevelopmentPackages(installed, await developmentOnly()), []);
    assert.ok(!names.has("azurite") && !names.has("pulumi-azure-imagebuilder-emulator"), "no Azurite, no emulator");
    const tarballDev = Object.keys(
      JSON.parse(await readFile(path.join(program, "node_modules", PACKAGE, "package.json"), "utf8")).devDependencies ??
        {},
    );
    assert.deepEqual(
      tarballDev.filter((name) => names.has(name) && !installed.some((p) => p.requires.includes(name))),
      [],
      "no devDependency of the package is installed for its own sake",
    );
    console.log(
      `      tarball install: ${installed.length} packages, ${megabytes(await folderSize(path.join(program, "node_modules")))}, ${seconds} s`,
    );

    await pulumiBinDir();
    const suite = await startEngineSuite();
    try {
      const stack = await suite.localStack(program, "install-tarball");
      const up = await stack.up();
      assert.equal(up.summary.result, "succeeded");
      assert.equal(up.outputs.provisioningState.value, "Succeeded");
      const held = await templates(suite.emulator);
      assert.deepEqual(
        held.map((t) => t.id.toLowerCase()),
        [String(up.outputs.templateId.value).toLowerCase()],
      );
      const destroy = await stack.destroy();
      assert.equal(destroy.summary.result, "succeeded");
      assert.deepEqual(await templates(suite.emulator), []);
    } finally {
      await suite.tearDown();
    }
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
