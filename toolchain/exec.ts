/** Child-process helpers shared by the toolchain scripts. */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export interface ExecOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Called with every complete line the process writes to stdout or stderr. */
  readonly onLine?: (line: string, stream: "stdout" | "stderr") => void;
}

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion; never rejects for a non-zero exit, only when it cannot be started. */
export function execCommand(command: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    const output = { stdout: "", stderr: "" };
    const pending = { stdout: "", stderr: "" };
    for (const stream of ["stdout", "stderr"] as const) {
      child[stream].setEncoding("utf8");
      child[stream].on("data", (chunk: string) => {
        output[stream] += chunk;
        if (!options.onLine) return;
        const lines = (pending[stream] + chunk).split("\n");
        pending[stream] = lines.pop() ?? "";
        for (const line of lines) options.onLine(line, stream);
      });
    }
    child.on("error", reject);
    child.on("close", (code, signal) => {
      for (const stream of ["stdout", "stderr"] as const) {
        if (pending[stream] && options.onLine) options.onLine(pending[stream], stream);
      }
      resolve({ code: code ?? (signal ? 128 : 1), ...output });
    });
  });
}

/** Like execCommand, but throws with the command's output when it fails. */
export async function execChecked(
  command: string,
  args: readonly string[],
  options: ExecOptions = {},
): Promise<string> {
  const result = await execCommand(command, args, options);
  if (result.code !== 0) {
    const output = `${result.stderr}${result.stdout}`.trim().split("\n").slice(-40).join("\n");
    throw new Error(`\`${[command, ...args].join(" ")}\` exited with code ${result.code}:\n${output}`);
  }
  return result.stdout;
}

/** Locates an executable on a PATH string, like `command -v`. */
export function findOnPath(name: string, pathEnv: string | undefined): string | undefined {
  for (const dir of (pathEnv ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}
