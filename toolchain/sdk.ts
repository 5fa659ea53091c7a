/**
 * The plugin's SDKs under sdk/ (nodejs, python, go), generated from plugin/schema.json by Pulumi's own code generators
 * at the CLI's release (toolchain/sdk-generator, a small Go command built from the Go module proxy beside the CLI,
 * once, under a lock). `npm run sdk` rewrites them; test/e2e/sdk.test.ts fails when they differ from what this writes.
 * .NET's generator left Pulumi's pkg module for pulumi-dotnet, which is not built here.
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

export const SDK_LANGUAGES = ["nodejs", "python", "go"] as const;
export const SDK_DIR = "sdk";
const MODULE = "pulumi-azure-imagebuilder.local/sdk-generator";

/** The @pulumi/pulumi version installed: the generators come from the same release of pulumi's pkg module. */
async function pulumiVersion(root: string): Promise<string> {
  const manifest = require.resolve("@pulumi/pulumi/package.json", { paths: [root] });
  return (JSON.parse(await fs.readFile(manifest, "utf8")) as { version: string }).version;
}

/** Builds (when missing or its source changed) and returns the generator's path. */
export async function ensureSdkGenerator(
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = (line) => process.stderr.write(`[sdk] ${line}\n`),
): Promise<string> {
  const root = packageRoot();
  const version = await pulumiVersion(root);
  const source = await fs.readFile(path.join(root, "toolchain", "sdk-generator", "main.go"));
  const digest = createHash("sha256").update(source).digest("hex");
  const dir = path.join(cacheRoot(env), `sdk-generator-v${version}`);
  const binary = path.join(dir, "bin", "sdk-generator");
  const stamp = path.join(dir, "bin", ".source.sha256");
  const current = async () => (await fs.readFile(stamp, "utf8").catch(() => "")) === digest;
  if (await current()) return binary;
  await withDirLock(path.join(dir, ".lock"), log, async () => {
    if (await current()) return;
    const go = await requireGo(env);
    const src = path.join(dir, "src");
    const options = { cwd: src, env: goEnv(env), onLine: (line: string) => log(`go: ${line.replace(/^go: /, "")}`) };
    await fs.rm(src, { recursive: true, force: true });
    await fs.mkdir(src, { recursive: true });
    await execChecked(go, ["mod", "init", MODULE], options);
    await fs.writeFile(path.join(src, "main.go"), source);
    log(`building the SDK generator on github.com/pulumi/pulumi/pkg/v3@v${version} ...`);
    await execChecked(
      go,
      ["get", `github.com/pulumi/pulumi/pkg/v3@v${version}`, `github.com/pulumi/pulumi/sdk/v3@v${version}`],
      options,
    );
    await execChecked(go, ["mod", "tidy"], options);
    await fs.mkdir(path.dirname(binary), { recursive: true });
    await execChecked(go, ["build", "-trimpath", "-tags", "osusergo,grpcnotrace", "-o", binary, "."], options);
    await fs.writeFile(stamp, digest);
  });
  return binary;
}

/** Writes the SDKs of plugin/schema.json into `<out>/<language>`. */
export async function generateSdks(out: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const generator = await ensureSdkGenerator(env);
  await execChecked(generator, [path.join(packageRoot(), SCHEMA_FILE), out, ...SDK_LANGUAGES], { env });
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
