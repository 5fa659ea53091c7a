import type * as fs from "node:fs";
import type * as path from "node:path";

export const PACKAGE = "pulumi-azure-imagebuilder";

/**
 * The nearest folder at or above `from` whose package.json names this package (a checkout or an installed copy), or
 * undefined. Only `require`, no module captured: loadImplementation runs inside the serialized provider.
 */
export function packageRootAbove(from: string): string | undefined {
  const files: typeof fs = require("node:fs");
  const paths: typeof path = require("node:path");
  for (let dir = from; ; dir = paths.dirname(dir)) {
    const manifest = paths.join(dir, "package.json");
    if (files.existsSync(manifest) && JSON.parse(files.readFileSync(manifest, "utf8")).name === PACKAGE) return dir;
    if (paths.dirname(dir) === dir) return undefined;
  }
}

/** This package's root, found from this file (works from the TypeScript sources and from dist/). */
export function packageRoot(): string {
  const root = packageRootAbove(__dirname);
  if (!root) throw new Error(`no ${PACKAGE} package.json above ${__dirname}`);
  return root;
}

/**
 * Loads a provider implementation module: from the installed package; else this repository's build, found by walking
 * up from the project directory (the engine's provider host evaluates the serialized provider with no file of its own,
 * so neither self-reference through package.json nor relative paths work there); else `local`, relative to this file
 * (in-process use of an unbuilt checkout). Only `require` is used (never captured by Pulumi's closure serializer).
 */
export function loadImplementation<T>(entry: string, local: string): T {
  const paths: typeof path = require("node:path");
  const attempt = (request: string): T | undefined => {
    try {
      return require(request);
    } catch (e) {
      const missing = (e as { code?: string }).code === "MODULE_NOT_FOUND" && String(e).includes(`'${request}'`);
      if (!missing) throw e;
      return undefined;
    }
  };
  const installed = attempt(`${PACKAGE}/${entry}`);
  if (installed) return installed;
  const checkout = packageRootAbove(process.cwd());
  const built = checkout === undefined ? undefined : attempt(paths.join(checkout, entry));
  if (built) return built;
  const fallback = attempt(local);
  if (fallback) return fallback;
  throw new Error(
    `Cannot load the image builder provider from ${process.cwd()}: add ${PACKAGE} to this Pulumi project's dependencies (npm install ${PACKAGE}).`,
  );
}
