/** Reuses a Pulumi CLI already on PATH, when it is new enough and comes with its Node.js language host. */
import { createHash } from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { execCommand, findOnPath } from "./exec";
import { isAtLeast, MIN_PULUMI } from "./versions";

export interface PathPulumi {
  /** Symlink-resolved `pulumi` executable. */
  readonly pulumi: string;
  readonly languageHost: string;
  /** The install's own pulumi-resource-pulumi-nodejs, when it ships one beside `pulumi`. */
  readonly dynamicPlugin: string | undefined;
  /** The install's Pulumi YAML language host (Pulumi's installs ship it beside `pulumi`), or one on PATH. */
  readonly yamlHost: string | undefined;
}

async function executableAt(file: string): Promise<string | undefined> {
  const stat = await fs.stat(file).catch(() => undefined);
  return stat?.isFile() && (stat.mode & 0o111) !== 0 ? file : undefined;
}

/**
 * Finds `pulumi` >= MIN_PULUMI on PATH whose language host sits beside it (or on PATH). Executables under `ignoreDir`
 * (our own cache, which the demo and tests put on PATH) do not count: those are handled as our own build.
 */
export async function findPathPulumi(env: NodeJS.ProcessEnv, ignoreDir: string): Promise<PathPulumi | undefined> {
  const onPath = findOnPath("pulumi", env.PATH);
  if (!onPath) return undefined;
  const pulumi = await fs.realpath(onPath);
  const ignored = await fs.realpath(ignoreDir).catch(() => path.resolve(ignoreDir));
  if (pulumi.startsWith(ignored + path.sep)) return undefined;
  const version = await execCommand(pulumi, ["version"], { env }).catch(() => undefined);
  if (version?.code !== 0 || !isAtLeast(version.stdout, MIN_PULUMI)) return undefined;
  const dir = path.dirname(pulumi);
  const languageHost =
    (await executableAt(path.join(dir, "pulumi-language-nodejs"))) ?? findOnPath("pulumi-language-nodejs", env.PATH);
  if (!languageHost) return undefined;
  return {
    pulumi,
    languageHost,
    dynamicPlugin: await executableAt(path.join(dir, "pulumi-resource-pulumi-nodejs")),
    yamlHost:
      (await executableAt(path.join(dir, "pulumi-language-yaml"))) ?? findOnPath("pulumi-language-yaml", env.PATH),
  };
}

/** A cache folder per distinct CLI install, so different installs never share links. */
export function linkDirFor(cacheRoot: string, found: PathPulumi): string {
  const id = createHash("sha256").update(found.pulumi).digest("hex").slice(0, 12);
  return path.join(cacheRoot, `linked-${id}`);
}

/** Points `binDir/name` at `target`, replacing any previous link atomically. */
export async function linkInto(binDir: string, name: string, target: string): Promise<void> {
  const link = path.join(binDir, name);
  if ((await fs.readlink(link).catch(() => undefined)) === target) return;
  const temp = path.join(binDir, `.${name}.${process.pid}.tmp`);
  await fs.rm(temp, { force: true });
  await fs.symlink(target, temp);
  await fs.rename(temp, link);
}
