/**
 * Ensures `actionlint` (the linter GitHub workflows are checked with) in `<cache>/actionlint-v<version>/bin`, built from
 * the Go module proxy like the Pulumi CLI (`go install`: its module has no replace directives), and returns its path.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { cacheRoot } from "./ensure-pulumi";
import { withDirLock } from "./dir-lock";
import { execChecked, execCommand, findOnPath } from "./exec";

export const ACTIONLINT_VERSION = "1.7.12";

export async function ensureActionlint(
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = (line) => process.stderr.write(`[actionlint] ${line}\n`),
): Promise<string> {
  const versionDir = path.join(cacheRoot(env), `actionlint-v${ACTIONLINT_VERSION}`);
  const binary = path.join(versionDir, "bin", "actionlint");
  const current = async () =>
    (await execCommand(binary, ["-version"], { env }).catch(() => undefined))?.stdout.startsWith(
      `v${ACTIONLINT_VERSION}`,
    );
  if (await current()) return binary;
  const go = findOnPath("go", env.PATH);
  if (!go) throw new Error(`actionlint v${ACTIONLINT_VERSION} is built with Go, and there is no \`go\` on PATH`);
  await withDirLock(path.join(versionDir, ".lock"), log, async () => {
    if (await current()) return;
    log(`building actionlint v${ACTIONLINT_VERSION} from the Go module proxy ...`);
    await execChecked(go, ["install", `github.com/rhysd/actionlint/cmd/actionlint@v${ACTIONLINT_VERSION}`], {
      env: { ...env, GOBIN: path.dirname(binary), CGO_ENABLED: "0", GOFLAGS: "-buildvcs=false" },
    });
  });
  await fs.access(binary);
  return binary;
}
