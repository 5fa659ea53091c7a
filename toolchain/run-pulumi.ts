/** Runs the Pulumi CLI from an ensured bin directory with an offline engine environment. */
import * as path from "node:path";
import { execCommand, type ExecResult } from "./exec";

export interface RunPulumiOptions {
  /** Project directory (holds Pulumi.yaml). */
  readonly cwd: string;
  /** Directory from ensurePulumi(). */
  readonly binDir: string;
  /** Usually offlineEngineEnv(...) plus the emulator's env; merged over process.env. */
  readonly env: Record<string, string>;
  /** Echo the CLI's output to this process's stdout/stderr while it runs (the demo wants live output). */
  readonly echo?: boolean;
}

/** Runs `pulumi <args> --non-interactive`; resolves with the exit code and the captured output, never rejects for a failed command. */
export function runPulumi(args: readonly string[], options: RunPulumiOptions): Promise<ExecResult> {
  return execCommand(path.join(options.binDir, "pulumi"), [...args, "--non-interactive"], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    onLine: options.echo
      ? (line, stream) => (stream === "stdout" ? process.stdout : process.stderr).write(`${line}\n`)
      : undefined,
  });
}
