/**
 * The azure-imagebuilder plugin for e2e tests, installed as a user installs it: from the tarball the build makes
 * (`pulumi plugin install --file`, into the suite's PULUMI_HOME), or from PATH for development (plugin/bin). Either
 * way dist/ must be built (`npm run build`). Its settings come from the stack config under azure-imagebuilder:, never
 * from credential variables: the engine's environment holds only where the emulator is.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import * as path from "node:path";
import { promisify } from "node:util";
import type { ConfigMap } from "@pulumi/pulumi/automation";
import { buildPluginTarball } from "../../../toolchain/plugin-tarball";
import type { TestEmulator } from "../../helpers/emulator";
import { engineEnv, pulumiBinDir } from "./engine";
import { REPO_ROOT } from "./npm";

const run = promisify(execFile);
export const PLUGIN_BIN_DIR = path.join(REPO_ROOT, "plugin", "bin");

/** The engine's variables: offline, where the emulator is, no credential; `fromPath` puts plugin/bin on PATH. */
export async function pluginEngineEnv(stateDir: string, emulator: TestEmulator, fromPath: boolean) {
  const { NODE_EXTRA_CA_CERTS, AZURE_AUTHORITY_HOST, AZURE_RESOURCE_MANAGER_ENDPOINT } = emulator.env;
  const env = await engineEnv(stateDir, {
    NODE_EXTRA_CA_CERTS,
    AZURE_AUTHORITY_HOST,
    AZURE_RESOURCE_MANAGER_ENDPOINT,
    AZURE_IMAGEBUILDER_POLL_INTERVAL_MS: emulator.env.AZURE_IMAGEBUILDER_POLL_INTERVAL_MS,
  });
  if (fromPath) env.PATH = `${env.PATH}${path.delimiter}${PLUGIN_BIN_DIR}`;
  return env;
}

/** The plugin's sign-in and subscription as stack config (the secret as a secret). */
export function pluginConfig(emulator: TestEmulator): ConfigMap {
  return {
    "azure-imagebuilder:tenantId": { value: emulator.tenantId },
    "azure-imagebuilder:clientId": { value: emulator.clientId },
    "azure-imagebuilder:clientSecret": { value: emulator.clientSecret, secret: true },
    "azure-imagebuilder:subscriptionId": { value: emulator.subscriptionId },
  };
}

/** Makes the plugin tarball and installs it into the PULUMI_HOME of `env`; returns the installed version. */
export async function installPluginTarball(env: Record<string, string>): Promise<string> {
  const out = await mkdtemp(path.join(env.PULUMI_HOME, "..", "tarball-"));
  try {
    const tarball = await buildPluginTarball(out);
    const version = /-v(\d+\.\d+\.\d+[^-]*)-/.exec(path.basename(tarball))![1];
    const pulumi = path.join(await pulumiBinDir(), "pulumi");
    await run(pulumi, ["plugin", "install", "resource", "azure-imagebuilder", version, "--file", tarball], {
      env: { ...process.env, ...env },
    });
    return version;
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
