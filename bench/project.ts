/**
 * A generated Pulumi project laid out as a user's would be: Pulumi.yaml, the benchmark program as plain JavaScript,
 * and the package installed under node_modules (see installCopy). Runs the real CLI against an offline file backend.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { offlineEngineEnv } from "../toolchain/engine-env";
import { runPulumi } from "../toolchain/run-pulumi";
import { NOOP_PACKAGE, PROGRAM_ENV, type Variant } from "./programs/template-args";
import { installCopy } from "./provider-size";
import { timed } from "./stats";

export interface ProgramSettings {
  count: number;
  variant: Variant;
  /** Names are `<prefix>-<i>`; distinct prefixes keep stacks from claiming the same template names. */
  prefix: string;
  tag?: string;
  /** How long the no-op provider's create/update/delete wait (0 when unset). */
  noopLatencyMs?: number;
}

/** One stack per variant and the program settings it was deployed with (what a later `pulumi` command must reuse). */
export type VariantStacks = Record<Variant, { stack: string; settings: ProgramSettings }>;

export class BenchProject {
  readonly dir: string;
  private readonly engineEnv: Record<string, string>;

  constructor(
    private readonly binDir: string,
    private readonly emulatorEnv: Record<string, string>,
  ) {
    this.dir = mkdtempSync(path.join(tmpdir(), "imagebuilder-bench-"));
    installCopy(this.dir);
    // The program and the modules it requires, at their paths under dist/ (relative requires resolve as there).
    for (const file of [
      "bench/programs/templates.js",
      "bench/programs/template-args.js",
      "test/fixtures/template-args.js",
    ]) {
      mkdirSync(path.dirname(path.join(this.dir, file)), { recursive: true });
      copyFileSync(path.join(__dirname, "..", file), path.join(this.dir, file));
    }
    const noop = path.join(this.dir, "node_modules", NOOP_PACKAGE);
    mkdirSync(noop);
    copyFileSync(path.join(__dirname, "programs", "noop-provider.js"), path.join(noop, "index.js"));
    writeFileSync(
      path.join(this.dir, "Pulumi.yaml"),
      "name: imagebuilder-bench\nruntime: nodejs\nmain: bench/programs/templates.js\n",
    );
    this.engineEnv = offlineEngineEnv({ stateDir: path.join(this.dir, ".state"), binDir });
  }

  /** Runs `pulumi <args>` on `stack` with the program set up per `settings`; throws on failure. */
  async pulumi(stack: string, settings: ProgramSettings, ...args: string[]): Promise<string> {
    const env = {
      ...this.engineEnv,
      ...this.emulatorEnv,
      [PROGRAM_ENV.count]: String(settings.count),
      [PROGRAM_ENV.variant]: settings.variant,
      [PROGRAM_ENV.prefix]: settings.prefix,
      [PROGRAM_ENV.tag]: settings.tag ?? "v1",
      [PROGRAM_ENV.noopLatencyMs]: String(settings.noopLatencyMs ?? 0),
    };
    const result = await runPulumi([...args, "--stack", stack], { cwd: this.dir, binDir: this.binDir, env });
    if (result.code !== 0) {
      throw new Error(`pulumi ${args.join(" ")} on ${stack} exited ${result.code}:\n${result.stderr}${result.stdout}`);
    }
    return result.stdout;
  }

  /** Wall time (ms) of one `pulumi <args>` process. */
  timedPulumi(stack: string, settings: ProgramSettings, ...args: string[]): Promise<number> {
    return timed(() => this.pulumi(stack, settings, ...args));
  }

  async newStack(stack: string): Promise<void> {
    const result = await runPulumi(["stack", "init", stack], {
      cwd: this.dir,
      binDir: this.binDir,
      env: this.engineEnv,
    });
    if (result.code !== 0) throw new Error(`stack init ${stack} failed:\n${result.stderr}`);
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
