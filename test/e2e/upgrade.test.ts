/**
 * Upgrades keep state. For each earlier build of the package kept in fixtures/upgrade (fixtures.json), a program with
 * a built template, a fixed-name template and a trigger is deployed with that build on the floor runtime (this
 * process's Node.js, the floor's @pulumi/pulumi and its CLI). Then the same stack, state and emulator are upgraded to
 * this checkout's packed build on the newest runtime (toolchain/runtimes.ts: its Node.js, the newest SDK and its CLI),
 * as a user upgrading both would, and must show no change: `preview --expect-no-changes`, an `up` that sends nothing
 * but reads to Azure, `refresh --expect-no-changes`; a tag change is then an update in place of the same templates.
 * A stored provider that no longer loads, or a renamed hidden state key or output, fails here. Every deployable example
 * (examples/) goes the same way: deployed with the earlier build on the floor, then previewed, refreshed and updated
 * with this build on the newest runtime without a change or a write.
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

/** One runtime's tools for the program: the CLI's bin folder and the engine's environment. */
interface Tools {
  binDir: string;
  env: Record<string, string>;
}

/**
 * Installs the package from `tarball` with `sdk` into `dir` (a program, or the folder above several); the CLI built
 * for that SDK and `node` at nodeBin run them, against the emulator, with their state in stateDir.
 */
async function installed(
  dir: string,
  tarball: string,
  sdk: string,
  nodeBin: string,
  nodeVersion: string,
  stateDir: string,
  emulatorEnv: Record<string, string>,
): Promise<Tools> {
  await writeFile(
    path.join(dir, "package.json"),
    JSON.stringify({
      name: "imagebuilder-upgrade",
      private: true,
      main: "index.ts",
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
  return {
    binDir,
    env: {
      ...offlineEngineEnv({ stateDir, binDir, basePath }),
      PULUMI_NODEJS_TRANSPILE_ONLY: "true",
      ...emulatorEnv,
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
  describe(`upgrading a stack from ${fixture.version} (${fixture.commit.slice(0, 7)}) to this build`, function () {
    this.timeout(10 * 60_000);
    let work: string;
    let program: string;
    let emulator: TestEmulator;
    let newest: Tools;
    let deployed: {
      web: string;
      webCreatedAt?: string;
      fixedCreatedAt?: string;
      outputs: Record<string, unknown>;
      state: Record<string, Record<string, unknown>>;
    };

    const install = (tarball: string, sdk: string, nodeBin: string, nodeVersion: string) =>
      installed(program, tarball, sdk, nodeBin, nodeVersion, path.join(work, "state"), emulator.env);
    const pulumi = (tools: Tools, ...args: string[]) => pulumiIn(program, tools, ...args);
    const writes = () => writesTo(emulator);
    const held = async (name: string) => (await templates(emulator)).find((t) => t.name === name);
    /** Each resource's stored outputs by URN, secrets in plain text (their ciphertext changes with every write). */
    const storedResources = async (tools: Tools) => {
      const exported = JSON.parse(await pulumi(tools, "stack", "export", "--show-secrets"));
      const resources = exported.deployment.resources as StoredResource[];
      return resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic"));
    };
    const storedOutputs = async (tools: Tools): Promise<Record<string, Record<string, unknown>>> =>
      Object.fromEntries((await storedResources(tools)).map((r) => [r.urn, r.outputs ?? {}]));
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
      program = path.join(work, "program");
      await cp(path.join(FIXTURES, "program"), program, { recursive: true });
      emulator = await startTestEmulator();
    });

    after(async () => {
      await emulator?.stop();
      if (work) await rm(work, { recursive: true, force: true });
    });

    it(`deploys a built template, a fixed-name one and a trigger with ${fixture.version} on the floor runtime`, async () => {
      const floor = await install(
        path.join(FIXTURES, fixture.tarball),
        FLOOR_SDK,
        path.dirname(process.execPath),
        process.version,
      );
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

    it(`after the upgrade to this build on Node.js ${NEWEST_RUNTIME.node} and @pulumi/pulumi ${NEWEST_RUNTIME.sdk}, preview expects no changes`, async function () {
      this.timeout(ENSURE_TIMEOUT_MS);
      const current = await packedRepository();
      newest = await install(
        current,
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
  });

  describe(`the examples deployed with ${fixture.version} (${fixture.commit.slice(0, 7)}), then run with this build`, function () {
    this.timeout(10 * 60_000);
    let work: string;
    let programs: string;
    let emulator: TestEmulator;
    let newest: Tools;
    /** Each example's stack outputs, and the templates the emulator held, once the earlier build deployed them. */
    const deployed = new Map<string, unknown>();
    let held: unknown;
    const program = (example: string) => path.join(programs, example);

    before(async function () {
      this.timeout(ENSURE_TIMEOUT_MS);
      work = await mkdtemp(path.join(tmpdir(), "imagebuilder-upgrade-examples-"));
      // Side by side under one folder whose node_modules serves them all, as the examples suite runs them.
      programs = path.join(work, "programs");
      for (const example of DEPLOYABLE_EXAMPLES) {
        await cp(path.join(EXAMPLES_DIR, example), program(example), { recursive: true });
      }
      emulator = await startTestEmulator();
    });

    after(async () => {
      await emulator?.stop();
      if (work) await rm(work, { recursive: true, force: true });
    });

    it(`deploys every example with ${fixture.version} on the floor runtime`, async function () {
      this.timeout(ENSURE_TIMEOUT_MS);
      const stateDir = path.join(work, "state");
      const floor = await installed(
        programs,
        path.join(FIXTURES, fixture.tarball),
        FLOOR_SDK,
        path.dirname(process.execPath),
        process.version,
        stateDir,
        emulator.env,
      );
      for (const example of DEPLOYABLE_EXAMPLES) {
        await pulumiIn(program(example), floor, "stack", "init");
        await pulumiIn(program(example), floor, "up", "--yes", "--skip-preview");
        const outputs = JSON.parse(await pulumiIn(program(example), floor, "stack", "output", "--json"));
        assert.ok(outputs.templateId, `examples/${example} exports its templateId`);
        deployed.set(example, outputs);
      }
      held = await templates(emulator);
      assert.equal((held as unknown[]).length, DEPLOYABLE_EXAMPLES.length, "one template an example");
    });

    it(`with this build on Node.js ${NEWEST_RUNTIME.node} and @pulumi/pulumi ${NEWEST_RUNTIME.sdk}: preview, refresh and up change nothing and write nothing`, async function () {
      this.timeout(ENSURE_TIMEOUT_MS);
      newest = await installed(
        programs,
        await packedRepository(),
        NEWEST_RUNTIME.sdk,
        await ensureNode(NEWEST_RUNTIME.node),
        `v${NEWEST_RUNTIME.node}`,
        path.join(work, "state"),
        emulator.env,
      );
      await emulator.admin.clearRequests();
      for (const example of DEPLOYABLE_EXAMPLES) {
        await pulumiIn(program(example), newest, "preview", "--expect-no-changes", "--diff");
        await pulumiIn(program(example), newest, "refresh", "--yes", "--skip-preview", "--expect-no-changes");
        await pulumiIn(program(example), newest, "up", "--yes", "--skip-preview", "--expect-no-changes");
        assert.deepEqual(
          JSON.parse(await pulumiIn(program(example), newest, "stack", "output", "--json")),
          deployed.get(example),
          `examples/${example}: its outputs`,
        );
      }
      assert.deepEqual(await writesTo(emulator), []);
      assert.deepEqual(await templates(emulator), held);
    });

    it("destroys every example, leaving nothing behind", async () => {
      for (const example of DEPLOYABLE_EXAMPLES) {
        await pulumiIn(program(example), newest, "destroy", "--yes", "--skip-preview");
      }
      const state = await emulator.admin.state();
      assert.deepEqual([state.templates, state.triggers], [[], []]);
    });
  });
}
