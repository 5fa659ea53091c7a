/**
 * The plugin's SDKs under sdk/ are what `npm run sdk` writes from plugin/schema.json (so they follow the schema, which
 * follows the property table), and they compile: the Go SDK with `go build` against github.com/pulumi/pulumi/sdk/v3
 * from the Go module proxy, the Node.js SDK with the repository's TypeScript, the Python SDK with `python3 -m
 * compileall` (Python's own byte-compiler: syntax only; python3 must be on PATH).
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { generateSdks, SDK_DIR, SDK_LANGUAGES } from "../../toolchain/sdk";
import { REPO_ROOT } from "./helpers/npm";

const run = promisify(execFile);
const GO_IMPORT_BASE = "github.com/pulumi-azure-imagebuilder/pulumi-azure-imagebuilder/sdk/go";

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

describe("the plugin's SDKs (sdk/)", function () {
  this.timeout(20 * 60_000);
  let work: string;
  const sdk = path.join(REPO_ROOT, SDK_DIR);

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
      assert.deepEqual((await files(path.join(sdk, language))).sort(), want, `sdk/${language}: npm run sdk`);
      for (const file of want) {
        const [ours, theirs] = await Promise.all([
          readFile(path.join(sdk, language, file), "utf8"),
          readFile(path.join(generated, language, file), "utf8"),
        ]);
        assert.ok(ours === theirs, `sdk/${language}/${file} is out of date: npm run sdk`);
      }
    }
  });

  it("the Go SDK builds with the Pulumi Go SDK of the CLI's release", async () => {
    const module = path.join(work, "go");
    await cp(path.join(sdk, "go"), module, { recursive: true });
    await writeFile(path.join(module, "go.mod"), `module ${GO_IMPORT_BASE}\n\ngo 1.25\n`);
    const { version } = JSON.parse(
      await readFile(require.resolve("@pulumi/pulumi/package.json", { paths: [REPO_ROOT] }), "utf8"),
    );
    const env = { ...process.env, GOWORK: "off", GOFLAGS: "-buildvcs=false", CGO_ENABLED: "0" };
    await run("go", ["get", `github.com/pulumi/pulumi/sdk/v3@v${version}`], { cwd: module, env });
    await run("go", ["mod", "tidy"], { cwd: module, env });
    await run("go", ["build", "./..."], { cwd: module, env });
    await run("go", ["vet", "./..."], { cwd: module, env });
  });

  it("the Node.js SDK type-checks", async () => {
    const tsc = require.resolve("typescript/bin/tsc", { paths: [REPO_ROOT] });
    await run(process.execPath, [tsc, "-p", path.join(sdk, "nodejs", "tsconfig.json"), "--noEmit"]).catch(
      (e: { stdout?: string; message: string }) => {
        throw new Error(`${e.message}\n${e.stdout}`);
      },
    );
  });

  it("the Python SDK byte-compiles", async () => {
    const copy = path.join(work, "python");
    await cp(path.join(sdk, "python"), copy, { recursive: true });
    await run("python3", ["-m", "compileall", "-q", copy]);
  });
});
