import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { imageTemplateProvider } from "../provider/index";
import { PACKAGE, packageRoot } from "../provider/load";

/** The smallest useful dynamic provider, as the yardstick for ours. */
export const noopProvider: pulumi.dynamic.ResourceProvider = {
  create: async (inputs) => ({ id: "noop", outs: inputs }),
};

/** `__provider` text, produced exactly as pulumi.dynamic.Resource produces it. */
export async function serializedProvider(provider: pulumi.dynamic.ResourceProvider) {
  return pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
}

/**
 * Installs the built provider into `projectDir` as npm would for a user: copied (not linked) under
 * `node_modules/<package>`, its dependencies linked next to it. Requires `npm run build`. Returns the copy's folder.
 */
export function installCopy(projectDir: string): string {
  const root = packageRoot();
  if (!existsSync(path.join(root, "dist/provider/index.js")))
    throw new Error("dist/provider is missing: run `npm run build`");
  const modules = path.join(projectDir, "node_modules");
  const target = path.join(modules, PACKAGE);
  mkdirSync(target, { recursive: true });
  cpSync(path.join(root, "package.json"), path.join(target, "package.json"));
  cpSync(path.join(root, "dist/provider"), path.join(target, "dist/provider"), { recursive: true });
  for (const dep of readdirSync(path.join(root, "node_modules"))) {
    if (!dep.startsWith(".")) symlinkSync(path.join(root, "node_modules", dep), path.join(modules, dep));
  }
  return target;
}

/** Loads the built provider as a user's project gets it (see installCopy). Returns its exports and a cleanup. */
export function loadInstalledCopy(): {
  exports: typeof import("../provider/index");
  projectDir: string;
  dispose(): void;
} {
  const projectDir = mkdtempSync(path.join(tmpdir(), "imagebuilder-installed-"));
  const target = installCopy(projectDir);
  return {
    exports: require(path.join(target, "dist/provider/index.js")),
    projectDir,
    dispose: () => rmSync(projectDir, { recursive: true, force: true }),
  };
}

/**
 * Serialized size of our provider as installed from npm and of a no-op provider (goal: ours <= 2x noop), plus ours
 * when the package is used from a checkout (not under node_modules: serialized by value). The same for every resource.
 */
export async function serializedProviderBytes(): Promise<{ ours: number; noop: number; checkout: number }> {
  const installed = loadInstalledCopy();
  try {
    const bytes = async (p: pulumi.dynamic.ResourceProvider) => Buffer.byteLength((await serializedProvider(p)).text);
    const checkout = await bytes(imageTemplateProvider);
    return { ours: await bytes(installed.exports.imageTemplateProvider), noop: await bytes(noopProvider), checkout };
  } finally {
    installed.dispose();
  }
}
