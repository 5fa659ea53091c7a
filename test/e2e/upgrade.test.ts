/**
 * Upgrades keep state. For each earlier build of the package kept in fixtures/upgrade (fixtures.json), a program with
 * a built template, a fixed-name template and a trigger is deployed with that build on the floor runtime (this
 * process's Node.js, the floor's @pulumi/pulumi and its CLI), and so is every deployable example (examples/). Then the
 * same stacks, state and emulators are upgraded to this checkout's packed build on the newest runtime
 * (toolchain/runtimes.ts: its Node.js, the newest SDK and its CLI), as a user upgrading both would, and must show no
 * change: `preview --expect-no-changes`, an `up` that sends nothing but reads to Azure, `refresh --expect-no-changes`;
 * a tag change of the program is then an update in place of the same templates. A stored provider that no longer
 * loads, or a renamed hidden state key or output, fails here. The programs sit side by side under one folder whose
 * node_modules serves them all (as the examples suite runs them), so each build is installed once.
 *
 * It runs on the floor's pass of the runner only (runtimes.ts RUN_ONCE_SPECS): it sets up both runtimes itself.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { offlineEngineEnv } from "../../toolchain/engine-env";
import { BUILT_CLI_ONLY, ensurePulumi } from "../../toolchain/ensure-pulumi";
import { ensureNode } from "../../toolchain/node-runtime";
import { execChecked, findOnPath } from "../../toolchain/exec";
import { runPulumi } from "../../toolchain/run-pulumi";
import { floorSdkOf, NEWEST_RUNTIME } from "../../toolchain/runtimes";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator";
import { ENSURE_TIMEOUT_MS } from "./helpers/engine";
import { npm, packedRepository, REPO_ROOT } from "./helpers/npm";
import { DEPLOYABLE_EXAMPLES, EXAMPLES_DIR } from "./helpers/examples";
import { templates } from "./helpers/stacks";

const FIXTURES = path.join(__dirname, "fixtures", "upgrade");
const STACK = "dev";
/** The fixture program's folder beside the examples' (no example has its name). */
const PROGRAM = "upgrade-program";

interface Fixture {
  tarball: string;
  version: string;
  commit: string;
}

const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
const FLOOR_SDK = floorSdkOf(manifest.dependencies["@pulumi/pulumi"]);
const fixtures = JSON.parse(readFileSync(path.join(FIXTURES, "fixtures.json"), "utf8")) as Fixture[];

interface StoredResource {
  urn: string;
  type: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

/** One runtime's install of a build: the CLI's bin folder and the PATH whose first `node` runs the programs. */
interface Install {
  binDir: string;
  basePath: string;
}

/** One runtime's tools for the programs of one stack folder: the CLI's bin folder and the engine's environment. */
interface Tools {
  binDir: string;
  env: Record<string, string>;
}

/**
 * Installs the package from `tarball` with `sdk` into `dir`, the folder above the programs; the CLI built for that SDK
 * and `node` at nodeBin run them.
 */
async function installed(
  dir: string,
  tarball: string,
  sdk: string,
  nodeBin: string,
  nodeVersion: string,
): Promise<Install> {
  await writeFile(
    path.join(dir, "package.json"),
    JSON.stringify({
      name: "imagebuilder-upgrade-programs",
      private: true,
      dependencies: {
        "@pulumi/pulumi": sdk,
        "pulumi-azure-imagebuilder": `file:${tarball}`,
        typescript: manifest.devDependencies.typescript,
      },
    }),
  );
  await npm(dir, "install", "--engine-strict=false");
  const sdkManifest = JSON.parse(
    await readFile(path.join(dir, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8"),
  );
  assert.equal(sdkManifest.version, sdk);
  const binDir = await ensurePulumi({ sdkRoot: dir, env: { ...process.env, [BUILT_CLI_ONLY]: "1" } });
  // The engine, the language host and the provider plugin run the first `node` on this PATH.
  const basePath = `${nodeBin}${path.delimiter}${process.env.PATH ?? ""}`;
  const node = findOnPath("node", basePath);
  assert.equal((await execChecked(node!, ["--version"])).trim(), nodeVersion);
  assert.equal((await execChecked(path.join(binDir, "pulumi"), ["version"])).trim(), `v${sdk}`);
  return { binDir, basePath };
}

/** An install's tools against one emulator, with the stacks' state in stateDir. */
function toolsOf(install: Install, stateDir: string, emulator: TestEmulator): Tools {
  return {
    binDir: install.binDir,
    env: {
      ...offlineEngineEnv({ stateDir, binDir: install.binDir, basePath: install.basePath }),
      PULUMI_NODEJS_TRANSPILE_ONLY: "true",
      ...emulator.env,
    },
  };
}

/** Runs `pulumi <args> --stack dev` in the program at cwd; fails the test with its output unless it succeeds. */
async function pulumiIn(cwd: string, tools: Tools, ...args: string[]): Promise<string> {
  const result = await runPulumi([...args, "--stack", STACK], { cwd, binDir: tools.binDir, env: tools.env });
  assert.equal(
    result.code,
    0,
    `pulumi ${args.join(" ")} in ${path.basename(cwd)} failed:\n${result.stdout}\n${result.stderr}`,
  );
  return result.stdout;
}

/** The ARM writes the emulator received since its request log was last cleared. */
async function writesTo(emulator: TestEmulator): Promise<string[]> {
  return (await emulator.admin.requests())
    .filter((r) => r.kind === "arm" && r.method !== "GET")
    .map((r) => `${r.method} ${r.path}`);
}

for (const fixture of fixtures) {
  describe(`upgrading stacks from ${fixture.version} (${fixture.commit.slice(0, 7)}) to this build`, function () {
    this.timeout(10 * 60_000);
    let work: string;
    /** The folder above the programs, whose node_modules holds the build under test. */
    let programs: string;
    let stateDir: string;
    /** The program's emulator, and the examples' (each asserts on every template its emulator holds). */
    let emulator: TestEmulator;
    let examplesEmulator: TestEmulator;
    let floor: Install;
    let newest: Install;
    let deployed: {
      web: string;
      webCreatedAt?: string;
      fixedCreatedAt?: string;
      outputs: Record<string, unknown>;
      state: Record<string, Record<string, unknown>>;
    };
    /** Each example's stack outputs, and the templates its emulator held, once the earlier build deployed them. */
    const examplesDeployed = new Map<string, unknown>();
    let examplesHeld: unknown;

    const program = () => path.join(programs, PROGRAM);
    const example = (name: string) => path.join(programs, name);
    const pulumi = (install: Install, ...args: string[]) =>
      pulumiIn(program(), toolsOf(install, stateDir, emulator), ...args);
    const pulumiExample = (name: string, install: Install, ...args: string[]) =>
      pulumiIn(example(name), toolsOf(install, stateDir, examplesEmulator), ...args);
    const writes = () => writesTo(emulator);
    const held = async (name: string) => (await templates(emulator)).find((t) => t.name === name);
    /** Each resource's stored outputs by URN, secrets in plain text (their ciphertext changes with every write). */
    const storedResources = async (install: Install) => {
      const exported = JSON.parse(await pulumi(install, "stack", "export", "--show-secrets"));
      const resources = exported.deployment.resources as StoredResource[];
      return resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic"));
    };
    const storedOutputs = async (install: Install): Promise<Record<string, Record<string, unknown>>> =>
      Object.fromEntries((await storedResources(install)).map((r) => [r.urn, r.outputs ?? {}]));
    /**
     * Every output the earlier build stored, hidden keys included, is still there under its name (with its value,
     * unless `changed` names it): what the current build reads. `__provider` is the engine's copy of the provider,
     * replaced by the new build's on every step.
     */
    const assertKept = (current: Record<string, Record<string, unknown>>, changed: string[] = []) => {
      assert.deepEqual(Object.keys(current).sort(), Object.keys(deployed.state).sort());
      for (const [urn, outputs] of Object.entries(deployed.state)) {
        for (const [key, value] of Object.entries(outputs)) {
          if (key === "__provider") continue;
          assert.ok(key in current[urn], `${urn}: the output ${key} the earlier build stored is gone`);
          if (!changed.includes(key)) assert.deepEqual(current[urn][key], value, `${urn}: ${key} changed`);
        }
      }
    };

    before(async function () {
      this.timeout(ENSURE_TIMEOUT_MS);
      assert.equal(
        (require("@pulumi/pulumi/package.json") as { version: string }).version,
        FLOOR_SDK,
        "the upgrade test starts from the floor runtime: run it in the checkout, not over a newer SDK",
      );
      work = await mkdtemp(path.join(tmpdir(), "imagebuilder-upgrade-"));
      programs = path.join(work, "programs");
      stateDir = path.join(work, "state");
      await cp(path.join(FIXTURES, "program"), program(), { recursive: true });
      await writeFile(
        path.join(program(), "package.json"),
        JSON.stringify({ name: PROGRAM, private: true, main: "index.ts" }),
      );
      for (const name of DEPLOYABLE_EXAMPLES) {
        await cp(path.join(EXAMPLES_DIR, name), example(name), { recursive: true });
      }
      [emulator, examplesEmulator] = await Promise.all([startTestEmulator(), startTestEmulator()]);
      floor = await installed(
        programs,
        path.join(FIXTURES, fixture.tarball),
        FLOOR_SDK,
        path.dirname(process.execPath),
        process.version,
      );
    });

    after(async () => {
      await emulator?.stop();
      await examplesEmulator?.stop();
      if (work) await rm(work, { recursive: true, force: true });
    });

    it(`deploys a built template, a fixed-name one and a trigger with ${fixture.version} on the floor runtime`, async () => {
      await pulumi(floor, "stack", "init");
      await pulumi(floor, "up", "--yes", "--skip-preview");
      const outputs = JSON.parse(await pulumi(floor, "stack", "output", "--json")) as Record<string, string>;
      assert.match(outputs.webImageId, /\/images\/web$/);
      const state = await emulator.admin.state();
      assert.equal(state.templates.length, 2);
      assert.equal(state.triggers.length, 1);
      deployed = {
        web: outputs.webName,
        webCreatedAt: (await held(outputs.webName))?.systemData?.createdAt,
        fixedCreatedAt: (await held("upgrade-fixed"))?.systemData?.createdAt,
        outputs,
        state: await storedOutputs(floor),
      };
      assert.ok(
        Object.values(deployed.state).some((o) => "__builtRunStart" in o),
        "the built template's state records its run",
      );
      // What the engine runs at refresh and destroy: the package's provider module, by its path in the package.
      for (const r of await storedResources(floor)) {
        assert.match(
          String(r.inputs?.__provider),
          /pulumi-azure-imagebuilder\/dist\/provider\/(image-template|trigger)\//,
        );
      }
    });

    it(`deploys every example with ${fixture.version} on the floor runtime`, async () => {
      for (const name of DEPLOYABLE_EXAMPLES) {
        await pulumiExample(name, floor, "stack", "init");
        await pulumiExample(name, floor, "up", "--yes", "--skip-preview");
        const outputs = JSON.parse(await pulumiExample(name, floor, "stack", "output", "--json"));
        assert.ok(outputs.templateId, `examples/${name} exports its templateId`);
        examplesDeployed.set(name, outputs);
      }
      examplesHeld = await templates(examplesEmulator);
      assert.equal((examplesHeld as unknown[]).length, DEPLOYABLE_EXAMPLES.length, "one template an example");
    });

    it(`after the upgrade to this build on Node.js ${NEWEST_RUNTIME.node} and @pulumi/pulumi ${NEWEST_RUNTIME.sdk}, preview expects no changes`, async function () {
      this.timeout(ENSURE_TIMEOUT_MS);
      newest = await installed(
        programs,
        await packedRepository(),
        NEWEST_RUNTIME.sdk,
        await ensureNode(NEWEST_RUNTIME.node),
        `v${NEWEST_RUNTIME.node}`,
      );
      await emulator.admin.clearRequests();
      await pulumi(newest, "preview", "--expect-no-changes", "--diff");
      assert.deepEqual(await writes(), []);
    });

    it("refresh with the providers the earlier build stored, loading this build, finds no changes", async () => {
      await emulator.admin.clearRequests();
      await pulumi(newest, "refresh", "--yes", "--skip-preview", "--expect-no-changes");
      assert.deepEqual(await writes(), []);
      assertKept(await storedOutputs(newest));
    });

    it("up changes nothing, keeps the outputs and writes nothing to Azure", async () => {
      await emulator.admin.clearRequests();
      await pulumi(newest, "up", "--yes", "--skip-preview", "--expect-no-changes");
      assert.deepEqual(await writes(), []);
      assert.deepEqual(JSON.parse(await pulumi(newest, "stack", "output", "--json")), deployed.outputs);
    });

    it("after that up, refresh finds no changes either", async () => {
      await pulumi(newest, "refresh", "--yes", "--skip-preview", "--expect-no-changes");
      await pulumi(newest, "preview", "--expect-no-changes");
      assert.deepEqual(await writes(), []);
      assertKept(await storedOutputs(newest));
    });

    it("a tag change updates both templates in place: the same templates, patched, none replaced", async () => {
      await pulumi(newest, "config", "set", "environment", "staging");
      const plan = JSON.parse(await pulumi(newest, "preview", "--json")) as { steps: { op: string; urn: string }[] };
      const templateSteps = plan.steps.filter((s) => s.urn.includes(":ImageTemplate::"));
      assert.deepEqual(templateSteps.map((s) => s.op).sort(), ["update", "update"], JSON.stringify(plan.steps));
      await emulator.admin.clearRequests();
      await pulumi(newest, "up", "--yes", "--skip-preview");
      const sent = await writes();
      assert.ok(sent.length > 0 && sent.every((w) => w.startsWith("PATCH ")), `sent ${sent.join(", ")}`);
      const web = await held(deployed.web);
      const fixed = await held("upgrade-fixed");
      assert.equal(web?.tags?.environment, "staging");
      assert.equal(fixed?.tags?.environment, "staging");
      assert.equal(web?.systemData?.createdAt, deployed.webCreatedAt);
      assert.equal(fixed?.systemData?.createdAt, deployed.fixedCreatedAt);
      assertKept(await storedOutputs(newest), ["tag"]);
    });

    it("destroy leaves nothing behind", async () => {
      await pulumi(newest, "destroy", "--yes", "--skip-preview");
      const state = await emulator.admin.state();
      assert.deepEqual([state.templates, state.triggers], [[], []]);
    });

    it(`every example with this build on Node.js ${NEWEST_RUNTIME.node} and @pulumi/pulumi ${NEWEST_RUNTIME.sdk}: preview, refresh and up change nothing and write nothing`, async () => {
      await examplesEmulator.admin.clearRequests();
      for (const name of DEPLOYABLE_EXAMPLES) {
        await pulumiExample(name, newest, "preview", "--expect-no-changes", "--diff");
        await pulumiExample(name, newest, "refresh", "--yes", "--skip-preview", "--expect-no-changes");
        await pulumiExample(name, newest, "up", "--yes", "--skip-preview", "--expect-no-changes");
        assert.deepEqual(
          JSON.parse(await pulumiExample(name, newest, "stack", "output", "--json")),
          examplesDeployed.get(name),
          `examples/${name}: its outputs`,
        );
      }
      assert.deepEqual(await writesTo(examplesEmulator), []);
      assert.deepEqual(await templates(examplesEmulator), examplesHeld);
    });

    it("destroys every example, leaving nothing behind", async () => {
      for (const name of DEPLOYABLE_EXAMPLES) {
        await pulumiExample(name, newest, "destroy", "--yes", "--skip-preview");
      }
      const state = await examplesEmulator.admin.state();
      assert.deepEqual([state.templates, state.triggers], [[], []]);
    });
  });
}
