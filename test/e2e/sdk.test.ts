/**
 * The plugin's SDKs under sdk/ are what `npm run sdk` writes from plugin/schema.json (so they follow the schema, which
 * follows the property table), and they compile: the Go SDK with `go build` in its own module (sdk/go/go.mod, the
 * Pulumi Go SDK from the Go module proxy), the Node.js SDK with the repository's TypeScript, the Python SDK with
 * `python3 -m compileall` (Python's own byte-compiler: syntax only; python3 must be on PATH), the .NET SDK with
 * tree-sitter's C# grammar (syntax only: no C# compiler that reads its C# 8 is installable here, no dotnet, and
 * Debian's Mono mcs stops at C# 7). A Node.js program on the compiled Node.js SDK previews, deploys and destroys a
 * template through the plugin against the emulator.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { engineStack } from "./helpers/engine-stack";
import { Language, Parser } from "web-tree-sitter";
import { generateSdks, SDK_DIR, SDK_LANGUAGES } from "../../toolchain/sdk";
import { templateArgs } from "../fixtures/template-args";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator";
import { ENSURE_TIMEOUT_MS, newStateDir, pulumiBinDir, pulumiCommand, removeStateDir } from "./helpers/engine";
import { REPO_ROOT } from "./helpers/npm";
import { pluginConfig, pluginEngineEnv } from "./helpers/plugin";
import { templates } from "./helpers/stacks";

const run = promisify(execFile);

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

const SDK = path.join(REPO_ROOT, SDK_DIR);

describe("the plugin's SDKs (sdk/)", function () {
  this.timeout(20 * 60_000);
  let work: string;

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), "plugin-sdk-"));
  });

  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("are what npm run sdk writes from plugin/schema.json", async () => {
    const generated = path.join(work, "generated");
    await generateSdks(generated);
    for (const language of SDK_LANGUAGES) {
      const want = (await files(path.join(generated, language))).sort();
      assert.deepEqual((await files(path.join(SDK, language))).sort(), want, `sdk/${language}: npm run sdk`);
      for (const file of want) {
        const [ours, theirs] = await Promise.all([
          readFile(path.join(SDK, language, file), "utf8"),
          readFile(path.join(generated, language, file), "utf8"),
        ]);
        assert.ok(ours === theirs, `sdk/${language}/${file} is out of date: npm run sdk`);
      }
    }
  });

  it("the Go SDK builds with the Pulumi Go SDK of the CLI's release", async () => {
    const module = path.join(work, "go");
    await cp(path.join(SDK, "go"), module, { recursive: true });
    const { version } = JSON.parse(
      await readFile(require.resolve("@pulumi/pulumi/package.json", { paths: [REPO_ROOT] }), "utf8"),
    );
    assert.match(
      await readFile(path.join(module, "go.mod"), "utf8"),
      new RegExp(`github.com/pulumi/pulumi/sdk/v3 v${version}\n`),
    );
    // As checked in: -mod=readonly fails if go.mod or go.sum lacked anything the build needs.
    const env = { ...process.env, GOWORK: "off", GOFLAGS: "-buildvcs=false -mod=readonly", CGO_ENABLED: "0" };
    await run("go", ["build", "./..."], { cwd: module, env });
    await run("go", ["vet", "./..."], { cwd: module, env });
    await run("go", ["vet", "./..."], { cwd: module, env });
  });

  it("the Node.js SDK type-checks", async () => {
    const tsc = require.resolve("typescript/bin/tsc", { paths: [REPO_ROOT] });
    await run(process.execPath, [tsc, "-p", path.join(SDK, "nodejs", "tsconfig.json"), "--noEmit"]).catch(
      (e: { stdout?: string; message: string }) => {
        throw new Error(`${e.message}\n${e.stdout}`);
      },
    );
  });

  it("the .NET SDK parses as C#", async () => {
    await Parser.init();
    const parser = new Parser();
    parser.setLanguage(await Language.load(require.resolve("tree-sitter-c-sharp/tree-sitter-c_sharp.wasm")));
    const broken = (text: string) => parser.parse(text)?.rootNode.hasError !== false;
    assert.ok(broken("class A { int X { get; } = ; }"), "the grammar finds a syntax error");
    const sources = (await files(path.join(SDK, "dotnet"))).filter((f) => f.endsWith(".cs"));
    assert.ok(sources.length > 20, sources.join(", "));
    const failed = [];
    for (const file of sources) {
      if (broken(await readFile(path.join(SDK, "dotnet", file), "utf8"))) failed.push(file);
    }
    assert.deepEqual(failed, []);
  });

  it("the Python SDK byte-compiles", async () => {
    const copy = path.join(work, "python");
    await cp(path.join(SDK, "python"), copy, { recursive: true });
    await run("python3", ["-m", "compileall", "-q", copy]);
  });
});

describe("a Node.js program on the generated Node.js SDK, through the plugin", function () {
  this.timeout(15 * 60_000);
  let emulator: TestEmulator;
  let stateDir: string;

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    await pulumiBinDir();
    emulator = await startTestEmulator();
    stateDir = await newStateDir();
  });

  after(async () => {
    await emulator?.stop();
    if (stateDir) await removeStateDir(stateDir);
  });

  it("previews, deploys and destroys a template", async () => {
    const workDir = await mkdtemp(path.join(stateDir, "program-"));
    // The SDK compiled as its package would ship (package.json beside the code), installed into the program; the
    // program's @pulumi/pulumi is the repository's, so SDK and program share one.
    const installed = path.join(workDir, "node_modules", "@pulumi-azure-imagebuilder", "azure-imagebuilder");
    const tsc = require.resolve("typescript/bin/tsc", { paths: [REPO_ROOT] });
    await run(process.execPath, [tsc, "-p", path.join(SDK, "nodejs", "tsconfig.json"), "--outDir", installed]);
    await cp(path.join(SDK, "nodejs", "package.json"), path.join(installed, "package.json"));
    await mkdir(path.join(workDir, "node_modules", "@pulumi"), { recursive: true });
    await symlink(
      path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [REPO_ROOT] })),
      path.join(workDir, "node_modules", "@pulumi", "pulumi"),
    );
    const args = templateArgs(emulator.subscriptionId, "rg-sdk", { imageTemplateName: "from-sdk" });
    await writeFile(
      path.join(workDir, "Pulumi.yaml"),
      "name: sdk-nodejs\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n",
    );
    await writeFile(path.join(workDir, "package.json"), JSON.stringify({ name: "sdk-nodejs", main: "index.js" }));
    await writeFile(
      path.join(workDir, "index.js"),
      `const imagebuilder = require("@pulumi-azure-imagebuilder/azure-imagebuilder");
const web = new imagebuilder.ImageTemplate("web", ${JSON.stringify({ ...args, build: { when: "onCreate" } })});
exports.templateId = web.id;
exports.provisioningState = web.provisioningState;
exports.runOutputs = web.runOutputs;
`,
    );
    const stack = engineStack(
      await LocalWorkspace.createOrSelectStack(
        { stackName: "dev", workDir },
        { pulumiCommand: await pulumiCommand(), envVars: await pluginEngineEnv(stateDir, emulator, true) },
      ),
    );
    await stack.setAllConfig(pluginConfig(emulator));

    const preview = await stack.preview();
    assert.deepEqual(preview.changeSummary, { create: 2 }, preview.stdout);
    const up = await stack.up();
    assert.deepEqual(up.summary.resourceChanges, { create: 2 }, up.stdout);
    const [template] = await templates(emulator);
    assert.equal(template.id.toLowerCase(), String(up.outputs.templateId.value).toLowerCase());
    assert.equal(up.outputs.provisioningState.value, "Succeeded");
    const runOutputs = up.outputs.runOutputs.value as Record<string, { artifactId?: string }>;
    assert.equal(runOutputs.mi?.artifactId, (args.distribute[0] as { imageId: string }).imageId);
    const state = await stack.exportStack();
    const types = state.deployment.resources.map((r: { type: string }) => r.type);
    assert.ok(types.includes("azure-imagebuilder:index:ImageTemplate"), types.join(", "));

    await stack.destroy();
    assert.deepEqual(await templates(emulator), []);
  });
});
