/**
 * A folder for one mocha run, seen by every process of it (mocha's global setup runs in the main process before
 * `--parallel` forks its workers, which inherit the variable): what suites share without sharing state, such as the
 * packed tarball they install (read only), is made there once. Removed after the run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const VARIABLE = "IMAGEBUILDER_TEST_RUN_DIR";

export function mochaGlobalSetup(): void {
  process.env[VARIABLE] = mkdtempSync(path.join(tmpdir(), "imagebuilder-test-run-"));
}

export function mochaGlobalTeardown(): void {
  const dir = process.env[VARIABLE];
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** The run's folder; a process started without mocha's global setup (e.g. `--no-config`) gets one of its own. */
export function runDir(): string {
  if (!process.env[VARIABLE]) {
    mochaGlobalSetup();
    process.once("exit", mochaGlobalTeardown);
  }
  return process.env[VARIABLE]!;
}
