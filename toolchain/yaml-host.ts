/**
 * The Pulumi YAML language host, for YAML programs of the plugin (examples/yaml): `go install`ed from the Go module
 * proxy (pulumi-yaml has no replace directives, unlike pulumi itself) into `<cache>/pulumi-language-yaml-v<version>`,
 * once, under a lock. ensurePulumi links it into the CLI's bin directory.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { goEnv, requireGo } from "./built-pulumi";
import { withDirLock } from "./dir-lock";
import { execChecked } from "./exec";

/** The release that built and ran a YAML program with CLI 3.248 here. */
export const YAML_HOST_VERSION = "1.25.0";
export const YAML_HOST = "pulumi-language-yaml";
const MODULE = "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml";

export async function ensureYamlHost(cache: string, env: NodeJS.ProcessEnv, log: (line: string) => void) {
  const dir = path.join(cache, `${YAML_HOST}-v${YAML_HOST_VERSION}`);
  const binary = path.join(dir, "bin", YAML_HOST);
  const built = () =>
    fs.stat(binary).then(
      () => true,
      () => false,
    );
  if (await built()) return binary;
  await withDirLock(path.join(dir, ".lock"), log, async () => {
    if (await built()) return;
    const go = await requireGo(env);
    // Installed into a temporary GOBIN and renamed: a killed build never leaves a binary that looks complete.
    const temp = path.join(dir, `.bin.${process.pid}.tmp`);
    log(`building ${YAML_HOST} v${YAML_HOST_VERSION} from the Go module proxy (a minute or more) ...`);
    try {
      await execChecked(go, ["install", "-trimpath", `${MODULE}@v${YAML_HOST_VERSION}`], {
        cwd: dir,
        env: { ...goEnv(env), GOBIN: temp },
        onLine: (line) => log(`go: ${line.replace(/^go: /, "")}`),
      });
      await fs.rm(path.dirname(binary), { recursive: true, force: true });
      await fs.rename(temp, path.dirname(binary));
    } finally {
      await fs.rm(temp, { recursive: true, force: true });
    }
  });
  return binary;
}
