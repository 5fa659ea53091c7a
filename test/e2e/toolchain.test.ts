import * as assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { engineStack, type EngineStack } from "./helpers/engine-stack";
import { execCommand } from "../../toolchain/exec";
import { BUILT_CLI_ONLY, ensurePulumi } from "../../toolchain/ensure-pulumi";
import { runPulumi } from "../../toolchain/run-pulumi";
import { helloProgram } from "./fixtures/hello/program";
import {
  ENSURE_TIMEOUT_MS,
  engineEnv,
  inlineOptions,
  newStateDir,
  pulumiBinDir,
  pulumiCommand,
  removeStateDir,
} from "./helpers/engine";

const repoRoot = path.resolve(__dirname, "../..");
const fixtureMain = path.join(__dirname, "fixtures", "hello", "index.ts");
const inspectMain = path.join(__dirname, "fixtures", "hello", "inspect-sdk-error.ts");
const sdkVersion = (require("@pulumi/pulumi/package.json") as { version: string }).version;
const TOOLS = ["pulumi", "pulumi-language-nodejs", "pulumi-resource-pulumi-nodejs", "pulumi-language-yaml"];
const ENGINE_TIMEOUT_MS = 5 * 60_000;

/** A throwaway project whose program is a fixture, so @pulumi/pulumi and ts-node resolve from the repo. */
async function newProject(stateDir: string, name = "hello", main = fixtureMain): Promise<string> {
  const dir = path.join(stateDir, name);
  await fs.mkdir(dir);
  await fs.writeFile(path.join(dir, "Pulumi.yaml"), `name: ${name}\nruntime: nodejs\nmain: ${main}\n`);
  return dir;
}

describe("Pulumi toolchain", function () {
  this.timeout(ENGINE_TIMEOUT_MS);
  let binDir: string;

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    binDir = await pulumiBinDir();
  });

  describe("ensurePulumi", () => {
    it("puts the CLI, its Node.js and YAML language hosts and the dynamic plugin script in one bin dir", async () => {
      assert.equal(path.basename(binDir), "bin");
      for (const tool of TOOLS) await fs.access(path.join(binDir, tool), fs.constants.X_OK);
      const version = await execCommand(path.join(binDir, "pulumi"), ["version"]);
      assert.equal(version.stdout.trim(), `v${sdkVersion}`);
    });

    it("prints only the bin dir on stdout when run as a script, building nothing once cached", async () => {
      const built = (await fs.stat(path.join(binDir, "pulumi"))).mtimeMs;
      // The built script, as `npm run pulumi:bin` runs it (from source through ts-node it cost 1.3 s of CPU, not 0.4).
      const script = path.join(repoRoot, "dist", "toolchain", "ensure-pulumi.js");
      const result = await execCommand(process.execPath, [script], { cwd: repoRoot });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `${binDir}\n`);
      // Cached means no Go step ran and the binary was left as it was (not a stopwatch: a busy machine is slow).
      assert.doesNotMatch(result.stderr, /building|pinning|go: /, result.stderr);
      assert.equal((await fs.stat(path.join(binDir, "pulumi"))).mtimeMs, built);
    });

    it("reuses a pulumi found on PATH by linking it with its language host into the cache", async () => {
      const cache = await fs.mkdtemp(path.join(os.tmpdir(), "pulumi-cache-"));
      try {
        // What a user gets: the runtime runner's switch to built CLIs only (BUILT_CLI_ONLY) is not theirs.
        const env = {
          ...process.env,
          [BUILT_CLI_ONLY]: undefined,
          XDG_CACHE_HOME: cache,
          PATH: `${binDir}${path.delimiter}${process.env.PATH}`,
        };
        const linked = await ensurePulumi({ env, log: () => {} });
        assert.ok(linked.startsWith(await fs.realpath(cache)), linked);
        assert.equal(path.basename(linked), "bin");
        for (const tool of TOOLS) {
          assert.equal(await fs.realpath(path.join(linked, tool)), await fs.realpath(path.join(binDir, tool)), tool);
        }
      } finally {
        await fs.rm(cache, { recursive: true, force: true });
      }
    });

    it("explains what to install when neither pulumi nor Go is available", async () => {
      const empty = await fs.mkdtemp(path.join(os.tmpdir(), "pulumi-empty-"));
      try {
        const env = { ...process.env, XDG_CACHE_HOME: empty, PATH: empty };
        await assert.rejects(ensurePulumi({ env, log: () => {} }), (err: Error) => {
          assert.match(err.message, /no `pulumi` >= 3\.248\.0/);
          assert.match(err.message, /Go >= 1\.25\.0 is required \(no `go` on PATH\)/);
          return true;
        });
      } finally {
        await fs.rm(empty, { recursive: true, force: true });
      }
    });
  });

  describe("CLI on a nodejs project (our language host)", () => {
    let stateDir: string;
    let project: string;
    let env: Record<string, string>;
    const pulumi = async (...args: string[]) => {
      const result = await runPulumi(args, { cwd: project, binDir, env });
      assert.equal(result.code, 0, `pulumi ${args.join(" ")} failed:\n${result.stdout}\n${result.stderr}`);
      return result;
    };

    before(async () => {
      stateDir = await newStateDir();
      project = await newProject(stateDir);
      env = await engineEnv(stateDir);
    });
    after(() => removeStateDir(stateDir));

    it("creates, reports outputs, previews no changes and destroys", async () => {
      await pulumi("stack", "init", "dev");
      await pulumi("config", "set", "greeting", "world");
      await pulumi("config", "set", "--secret", "motto", "keep-it-local");

      // No preview before the update: its program run (3.5 s of CPU) asserted nothing; the preview below does.
      const up = await pulumi("up", "--yes", "--skip-preview");
      assert.match(up.stdout, /hello-provider: create world/);

      const outputs = JSON.parse((await pulumi("stack", "output", "--json")).stdout) as Record<string, unknown>;
      assert.deepEqual(outputs, { helloId: "hello-world", length: 5, motto: "[secret]" });
      const revealed = JSON.parse((await pulumi("stack", "output", "--json", "--show-secrets")).stdout);
      assert.equal(revealed.motto, "keep-it-local");

      const preview = await pulumi("preview", "--expect-no-changes");
      assert.match(preview.stdout, /2 unchanged/);

      const destroy = await pulumi("destroy", "--yes");
      assert.match(destroy.stdout, /hello-provider: delete hello-world/);
      const state = JSON.parse((await pulumi("stack", "export")).stdout) as { deployment: { resources?: unknown[] } };
      assert.deepEqual(state.deployment.resources ?? [], []);
    });

    it("reports a failing program as an error, not a crash", async () => {
      await pulumi("config", "rm", "greeting");
      const result = await runPulumi(["preview"], { cwd: project, binDir, env });
      assert.notEqual(result.code, 0);
      assert.match(result.stdout + result.stderr, /Missing required configuration variable 'hello:greeting'/);
    });

    // The SDK's run script inspects every uncaught error with colours. Node 20.20's util.inspect never returns for the
    // source-mapped frames of SDK errors (`node_modules/@pulumi/config.ts`) and ends in a RangeError a minute later;
    // the host preloads a guard, so the program's own inspection of such an error is its message and stack.
    it("gives the program a util.inspect that returns the message and stack of an SDK error", async () => {
      const dir = await newProject(stateDir, "inspect-sdk-error", inspectMain);
      const run = (...args: string[]) => runPulumi(args, { cwd: dir, binDir, env });
      assert.equal((await run("stack", "init", "dev")).code, 0);
      const result = await run("preview");
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      const printed = /inspected: (".*")/.exec(result.stdout);
      assert.ok(printed, result.stdout);
      const inspected = JSON.parse(printed[1]) as string;
      assert.match(
        inspected,
        /^ConfigMissingError: Missing required configuration variable 'inspect-sdk-error:absent'/,
      );
      assert.match(inspected, /at Config\.require \(.*node_modules\/@pulumi\/config\.ts:\d+:\d+\)/);
      assert.ok(inspected.length < 10_000, `${inspected.length} characters`);
    });
  });

  describe("Automation API", () => {
    let stateDir: string;
    before(async () => {
      stateDir = await newStateDir();
    });
    after(() => removeStateDir(stateDir));

    async function exercise(stack: EngineStack, greeting: string): Promise<void> {
      await stack.setConfig("greeting", { value: greeting });
      await stack.setConfig("motto", { value: "automation", secret: true });
      let output = "";
      await stack.up({ onOutput: (chunk) => (output += chunk) });
      assert.match(output, new RegExp(`hello-provider: create ${greeting}`));

      const outputs = await stack.outputs();
      assert.deepEqual(outputs.helloId, { value: `hello-${greeting}`, secret: false });
      assert.deepEqual(outputs.length, { value: greeting.length, secret: false });
      assert.deepEqual(outputs.motto, { value: "automation", secret: true });

      const preview = await stack.preview();
      assert.deepEqual(preview.changeSummary, { same: 2 });

      output = "";
      await stack.destroy({ onOutput: (chunk) => (output += chunk) });
      assert.match(output, new RegExp(`hello-provider: delete hello-${greeting}`));
    }

    it("runs a local project through the CLI's language host", async () => {
      const workDir = await newProject(stateDir);
      const stack = engineStack(
        await LocalWorkspace.createOrSelectStack(
          { stackName: "local", workDir },
          { pulumiCommand: await pulumiCommand(), envVars: await engineEnv(stateDir) },
        ),
      );
      await exercise(stack, "project");
    });

    it("runs an inline program in this process", async () => {
      const stack = engineStack(
        await LocalWorkspace.createOrSelectStack(
          { stackName: "inline", projectName: "hello-inline", program: async () => helloProgram() },
          await inlineOptions(stateDir, "hello-inline", await engineEnv(stateDir)),
        ),
      );
      await exercise(stack, "inline");
    });
  });
});
