/**
 * The plugin's SDKs under sdk/ (nodejs, python, go, dotnet), generated from plugin/schema.json by Pulumi's own code
 * generators (toolchain/sdk-generator: a small Go command built from the Go module proxy beside the CLI, once, under a
 * lock; its main.go says why not `pulumi package gen-sdk`). Node.js, Python and Go come from the generators of the
 * CLI's release, .NET from those of pkg v3.206.0 (a second build of the command). `npm run sdk` rewrites them;
 * test/e2e/sdk.test.ts fails when they differ from what this writes.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { goEnv, requireGo } from "./built-pulumi";
import { withDirLock } from "./dir-lock";
import { cacheRoot } from "./ensure-pulumi";
import { execChecked } from "./exec";
import { packageRoot } from "../provider/load";
import { SCHEMA_FILE } from "./schema";

export const SDK_LANGUAGES = ["nodejs", "python", "go", "dotnet"] as const;
export const SDK_DIR = "sdk";
const MODULE = "pulumi-azure-imagebuilder.local/sdk-generator";
const SOURCE_DIR = path.join("toolchain", "sdk-generator");

/**
 * One build of the generator: the languages it writes (main.go and the file of their generators, selected by a build
 * tag), on which release of pulumi's pkg module.
 */
interface GeneratorBuild {
  languages: readonly (typeof SDK_LANGUAGES)[number][];
  /** The files beside main.go (its generators, and what they embed). */
  files: string[];
  tags: string;
  /** The pkg/v3 release; undefined: the installed @pulumi/pulumi's, the CLI's. */
  pkg?: string;
}

const BUILDS: readonly GeneratorBuild[] = [
  { languages: ["nodejs", "python", "go"], files: ["generators.go"], tags: "osusergo,grpcnotrace" },
  {
    languages: ["dotnet"],
    files: ["generators_dotnet.go", "logo.png"],
    tags: "osusergo,grpcnotrace,dotnet",
    pkg: "3.206.0",
  },
];

/** The @pulumi/pulumi version installed: the generators come from the same release of pulumi's pkg module. */
async function pulumiVersion(root: string): Promise<string> {
  const manifest = require.resolve("@pulumi/pulumi/package.json", { paths: [root] });
  return (JSON.parse(await fs.readFile(manifest, "utf8")) as { version: string }).version;
}

/** Builds (when missing or its source changed) and returns the path of the generator `build`. */
export async function ensureSdkGenerator(
  build: GeneratorBuild,
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = (line) => process.stderr.write(`[sdk] ${line}\n`),
): Promise<string> {
  const root = packageRoot();
  const version = build.pkg ?? (await pulumiVersion(root));
  // Only this build's generators: `go mod tidy` reads every file whatever its build tags.
  const names = ["main.go", ...build.files];
  const sources = await Promise.all(names.map((f) => fs.readFile(path.join(root, SOURCE_DIR, f))));
  const digest = createHash("sha256").update(build.tags);
  for (const [i, name] of names.entries()) digest.update(name).update(sources[i]);
  const stamped = digest.digest("hex");
  const dir = path.join(cacheRoot(env), `sdk-generator-${build.languages.join("-")}-v${version}`);
  const binary = path.join(dir, "bin", "sdk-generator");
  const stamp = path.join(dir, "bin", ".source.sha256");
  const current = async () => (await fs.readFile(stamp, "utf8").catch(() => "")) === stamped;
  if (await current()) return binary;
  await withDirLock(path.join(dir, ".lock"), log, async () => {
    if (await current()) return;
    const go = await requireGo(env);
    const src = path.join(dir, "src");
    const options = { cwd: src, env: goEnv(env), onLine: (line: string) => log(`go: ${line.replace(/^go: /, "")}`) };
    await fs.rm(src, { recursive: true, force: true });
    await fs.mkdir(src, { recursive: true });
    await execChecked(go, ["mod", "init", MODULE], options);
    for (const [i, name] of names.entries()) await fs.writeFile(path.join(src, name), sources[i]);
    log(`building the ${build.languages.join(", ")} SDK generator on github.com/pulumi/pulumi/pkg/v3@v${version} ...`);
    await execChecked(
      go,
      ["get", `github.com/pulumi/pulumi/pkg/v3@v${version}`, `github.com/pulumi/pulumi/sdk/v3@v${version}`],
      options,
    );
    await execChecked(go, ["mod", "tidy"], options);
    await fs.mkdir(path.dirname(binary), { recursive: true });
    await execChecked(go, ["build", "-trimpath", "-tags", build.tags, "-o", binary, "."], options);
    await fs.writeFile(stamp, stamped);
  });
  return binary;
}

/** Writes the SDKs of plugin/schema.json into `<out>/<language>`. */
export async function generateSdks(out: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  for (const build of BUILDS) {
    const generator = await ensureSdkGenerator(build, env);
    await execChecked(generator, [path.join(packageRoot(), SCHEMA_FILE), out, ...build.languages], { env });
  }
  await goModule(path.join(out, "go"), env);
}

/**
 * The Go SDK's module (the folder above the package the schema's importBasePath names, as Pulumi's providers keep
 * sdk/go), requiring the Pulumi Go SDK of the CLI's release: go.mod and go.sum, so `go build ./...` works in sdk/go.
 */
export const GO_MODULE = "github.com/pulumi-azure-imagebuilder/pulumi-azure-imagebuilder/sdk/go";
/** A floor: `go get` raises it to the Go the Pulumi Go SDK asks for, whatever Go runs it. */
const GO_FLOOR = "1.21";

async function goModule(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const go = await requireGo(env);
  const options = { cwd: dir, env: goEnv(env) };
  await execChecked(go, ["mod", "init", GO_MODULE], options);
  // Not this machine's Go: the file is the same wherever it is generated.
  await execChecked(go, ["mod", "edit", `-go=${GO_FLOOR}`], options);
  await execChecked(go, ["get", `github.com/pulumi/pulumi/sdk/v3@v${await pulumiVersion(packageRoot())}`], options);
  await execChecked(go, ["mod", "tidy"], options);
}

if (require.main === module) {
  generateSdks(path.join(packageRoot(), SDK_DIR)).then(
    () => process.stdout.write(`wrote ${SDK_LANGUAGES.map((l) => `${SDK_DIR}/${l}`).join(", ")}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
