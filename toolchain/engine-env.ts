/** The environment that keeps every Pulumi engine run offline and self-contained. */
import * as fs from "node:fs";
import * as path from "node:path";

export interface OfflineEngineOptions {
  /** Folder owning this run's state: the file backend goes to `<stateDir>/backend`, PULUMI_HOME to `<stateDir>/home`. */
  readonly stateDir: string;
  /** Directory from ensurePulumi(); put first on PATH so the CLI finds its bundled plugins there. */
  readonly binDir: string;
  /** Passphrase for the passphrase secrets provider; a fixed development value by default. */
  readonly passphrase?: string;
  /** PATH to extend; defaults to process.env.PATH. */
  readonly basePath?: string;
}

/** Used when no passphrase is given: these stacks hold emulator state only, never real secrets. */
export const DEFAULT_PASSPHRASE = "local-emulator-passphrase";

/**
 * Returns variables to merge over process.env (or pass as Automation API `envVars`):
 * - PULUMI_BACKEND_URL: a local file backend (`file://<abs stateDir>/backend`), no Pulumi Cloud login;
 * - PULUMI_CONFIG_PASSPHRASE: the passphrase secrets provider, no prompt;
 * - PULUMI_SKIP_UPDATE_CHECK: no CLI version check against the Pulumi Cloud;
 * - PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: a missing plugin is an error, never a download;
 * - PULUMI_HOME: its own plugin cache, credentials and workspace settings, untouched by the user's ~/.pulumi;
 * - PATH: binDir first;
 * - GOGC=off with GOMEMLIMIT=1GiB for the CLI and its Go plugins: against the emulator they live seconds, and
 *   collecting garbage they would free at exit was a tenth of the CPU of an e2e suite; the limit still collects
 *   before a run holds a gigabyte.
 * Creates the backend and home folders (the file backend refuses a missing folder).
 */
export function offlineEngineEnv(options: OfflineEngineOptions): Record<string, string> {
  const stateDir = path.resolve(options.stateDir);
  const backend = path.join(stateDir, "backend");
  const home = path.join(stateDir, "home");
  fs.mkdirSync(backend, { recursive: true });
  fs.mkdirSync(home, { recursive: true });
  const basePath = options.basePath ?? process.env.PATH ?? "";
  return {
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: options.passphrase ?? DEFAULT_PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_HOME: home,
    PATH: basePath ? `${options.binDir}${path.delimiter}${basePath}` : options.binDir,
    GOGC: "off",
    GOMEMLIMIT: "1GiB",
  };
}
