import type * as fs from "node:fs";
import type * as pulumi from "@pulumi/pulumi";
import type * as path from "node:path";

export const PACKAGE = "pulumi-azure-imagebuilder";
/** How to install it (README, Install): from the registry once released, from git until then. */
const INSTALL_HINT = `npm install ${PACKAGE} once it is released; until then npm install github:${PACKAGE}/${PACKAGE}`;

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
    `Cannot load the image builder provider from ${process.cwd()}: add ${PACKAGE} to this Pulumi project's dependencies ` +
      `and run the command from there (${INSTALL_HINT}).`,
  );
}

export type Method<K extends keyof pulumi.dynamic.ResourceProvider> = NonNullable<pulumi.dynamic.ResourceProvider[K]>;
export type Result<K extends keyof pulumi.dynamic.ResourceProvider> = ReturnType<Method<K>>;

/**
 * What the serialized provider calls on an implementation module: the provider's methods as the dynamic provider host
 * hands them, `delete` as `$delete` (a reserved word there). implementation.ts's `Implementation`, which the plugin
 * calls, is one.
 */
export interface LoadedMethods {
  configure: Method<"configure">;
  check: Method<"check">;
  diff: Method<"diff">;
  create: Method<"create">;
  read: Method<"read">;
  update: Method<"update">;
  $delete: Method<"delete">;
}

/**
 * The serialized provider of a resource: each method loads the implementation module (loadImplementation: `entry`
 * from the package, else `local`) and calls it, so state holds a few hundred bytes and no credentials, and refresh or
 * destroy of old state run the installed code.
 */
export function loadingProvider<T extends LoadedMethods>(
  entry: string,
  local: string,
): pulumi.dynamic.ResourceProvider {
  const load = () => loadImplementation<T>(entry, local);
  return {
    // The engine sends the whole stack config (secrets decrypted) before the first call; kept in memory only.
    configure: async (req) => load().configure(req),
    check: (olds, news) => load().check(olds, news),
    diff: (id, olds, news) => load().diff(id, olds, news),
    create: (inputs) => load().create(inputs),
    read: (id, props) => load().read(id, props),
    update: (id, olds, news) => load().update(id, olds, news),
    delete: (id, props) => load().$delete(id, props),
  };
}
