/**
 * Every example is a complete program a user copies. Each folder under examples/ is copied outside the repository,
 * with this package installed from its packed tarball (`npm pack`, what `npm publish` uploads) next to the example's
 * own dependencies and the @pulumi/pulumi of the runtime under test (which the example's range must admit), production
 * dependencies only: the package's runtime dependencies and nothing the repository develops with (no dev tool, no
 * emulator, no Azurite). There each must type-check with its own tsconfig and TypeScript, preview, deploy against the
 * emulator through the language host, change nothing on a second `up`, and destroy cleanly.
 * Also: the package's `@pulumi/pulumi` range shares a program's newer 3.x SDK instead of nesting a second copy.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DEPLOYABLE_EXAMPLES, EXAMPLES_DIR, installedExamples, NOT_DEPLOYED } from "./helpers/examples";
import { promisify } from "node:util";
import { ENSURE_TIMEOUT_MS, pulumiBinDir } from "./helpers/engine";
import {
  developmentOnly,
  folderSize,
  installedPackages,
  manifestOf,
  megabytes,
  npm,
  PACKAGE,
  packedRepository,
  REPO_ROOT,
  strayDevelopmentPackages,
} from "./helpers/npm";
import { startEngineSuite, templates, type EngineSuite } from "./helpers/stacks";

const EXAMPLES = DEPLOYABLE_EXAMPLES;
const run = promisify(execFile);

describe("the package, packed and installed outside the repository", function () {
  this.timeout(10 * 60_000);
  let work: string;
  let tarball: string;

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    work = await mkdtemp(path.join(tmpdir(), "copied-examples-"));
    // dist/ is built by `npm test` (and must be for any e2e run); --ignore-scripts packs it as it is.
    tarball = await packedRepository();
  });

  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("deploys every example but those listed as not deployable, which exist and have their own test", async () => {
    const folders = readdirSync(EXAMPLES_DIR);
    for (const [example, reason] of Object.entries(NOT_DEPLOYED)) {
      assert.ok(folders.includes(example), `NOT_DEPLOYED names ${example} (${reason}), which examples/ lacks`);
      assert.ok(readdirSync(__dirname).includes(`${example}.test.ts`), `test/e2e/${example}.test.ts checks it`);
    }
    assert.deepEqual([...EXAMPLES, ...Object.keys(NOT_DEPLOYED)].sort(), folders.sort());
  });

  it("shares a program's newer 3.x @pulumi/pulumi: exactly one copy after installing the tarball", async () => {
    const program = path.join(work, "newer-sdk");
    await mkdir(program);
    const newer = "3.249.0";
    // The newer SDK asks for Node 22; npm only warns about that (engine-strict off), which is all this needs.
    await writeFile(
      path.join(program, "package.json"),
      JSON.stringify({ name: "newer-sdk", private: true, dependencies: { "@pulumi/pulumi": newer } }),
    );
    // The tree npm would lay out, resolved into package-lock.json without unpacking it (`--package-lock-only`): which
    // copies exist and where is decided there; unpacking 280 packages only cost 23 s of CPU against 8.
    await npm(program, "install", "--engine-strict=false", "--package-lock-only", tarball);
    const copies = (await npm(program, "ls", "--all", "--parseable", "--package-lock-only", "@pulumi/pulumi"))
      .split("\n")
      .filter(Boolean);
    assert.deepEqual(copies, [path.join(program, "node_modules", "@pulumi", "pulumi")]);
    const lock = JSON.parse(await readFile(path.join(program, "package-lock.json"), "utf8")) as {
      packages: Record<string, { version?: string }>;
    };
    assert.equal(lock.packages["node_modules/@pulumi/pulumi"].version, newer);
  });

  describe("every example, copied", () => {
    let suite: EngineSuite;
    let programs: string;
    let installSeconds: number;

    before(async function () {
      this.timeout(ENSURE_TIMEOUT_MS);
      await pulumiBinDir();
      ({ dir: programs, seconds: installSeconds } = await installedExamples());
      suite = await startEngineSuite();
    });

    it("installs the package's runtime dependencies alone: no development tool, no emulator, no Azurite", async () => {
      const installed = await installedPackages(programs);
      const names = new Set(installed.map((p) => p.name));
      const runtime = Object.keys((await manifestOf(REPO_ROOT)).dependencies ?? {});
      for (const name of [PACKAGE, ...runtime]) assert.ok(names.has(name), `${name} is installed`);
      assert.deepEqual(strayDevelopmentPackages(installed, await developmentOnly()), []);
      assert.ok(!names.has("azurite") && !names.has("pulumi-azure-imagebuilder-emulator"), "no Azurite, no emulator");
      const tarballDev = Object.keys(
        (await manifestOf(path.join(programs, "node_modules", PACKAGE))).devDependencies ?? {},
      );
      assert.deepEqual(
        tarballDev.filter((name) => names.has(name) && !installed.some((p) => p.requires.includes(name))),
        [],
        "no devDependency of the package is installed for its own sake",
      );
      console.log(
        `      tarball install, with the examples' own dependencies: ${installed.length} packages, ${megabytes(await folderSize(path.join(programs, "node_modules")))}, ${installSeconds} s`,
      );
    });

    after(async () => {
      await suite?.tearDown();
    });

    it("type-checks every example with its own tsconfig and TypeScript against the installed package's .d.ts", async () => {
      // One tsc in build mode checks them all, each by its own tsconfig, reading the SDK's declarations once: a tsc
      // each cost three times the CPU. The engine runs below are transpile-only (see engineEnv).
      const folders = EXAMPLES.map((example) => path.join(programs, example));
      await run(path.join(programs, "node_modules", ".bin", "tsc"), ["--build", "--force", "--noEmit", ...folders]);
    });

    for (const example of EXAMPLES) {
      it(`examples/${example}`, async () => {
        const program = path.join(programs, example);
        const stack = await suite.localStack(program, `e2e-${example}`);
        const preview = await stack.preview();
        assert.deepEqual(preview.changeSummary, { create: 2 });
        assert.deepEqual(await templates(suite.emulator), []);

        const up = await stack.up();
        assert.deepEqual(up.summary.resourceChanges, { create: 2 });
        const { templateName, templateId, provisioningState } = up.outputs;
        assert.equal(provisioningState.value, "Succeeded");
        const held = await templates(suite.emulator);
        // ARM ids compare case-insensitively (the service spells `resourcegroups` its own way).
        assert.deepEqual(
          held.map((t) => t.id.toLowerCase()),
          [templateId.value.toLowerCase()],
        );
        assert.equal(held[0].name, templateName.value);

        const again = await stack.up();
        assert.deepEqual(again.summary.resourceChanges, { same: 2 });
        assert.deepEqual(again.outputs.templateId, templateId);

        await stack.destroy();
        assert.deepEqual(await templates(suite.emulator), []);
      });
    }
  });
});
