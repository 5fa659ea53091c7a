/**
 * A fresh emulator plus an offline engine for one e2e suite, and the Automation API stacks bound to both.
 * The engine (and so the dynamic provider it starts) gets the emulator's env; this process never talks to Azure.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { LocalWorkspace, type PulumiFn, type Stack } from "@pulumi/pulumi/automation";
import { engineStack, type EngineStack } from "./engine-stack";
import { startTestEmulator, type TestEmulator } from "../../helpers/emulator";
import { engineEnv, inlineOptions, newStateDir, pulumiCommand, removeStateDir } from "./engine";

export interface EngineSuite {
  emulator: TestEmulator;
  stateDir: string;
  /** Automation API `envVars`: offline engine plus the emulator's credentials and endpoints. */
  envVars: Record<string, string>;
  /** An inline-program stack; the program runs in this process, the dynamic provider in the engine's plugin. */
  inlineStack(projectName: string, stackName: string, program: PulumiFn): Promise<EngineStack>;
  /** A stack of a Pulumi project folder (its Pulumi.yaml and program), run through the language host. */
  localStack(workDir: string, stackName: string): Promise<EngineStack>;
  /** The raw checkpoint the file backend wrote for a stack (ciphertext for secrets, exactly as on disk). */
  rawState(projectName: string, stackName: string): Promise<string>;
  tearDown(): Promise<void>;
}

export async function startEngineSuite(): Promise<EngineSuite> {
  const emulator = await startTestEmulator();
  const stateDir = await newStateDir();
  const envVars = await engineEnv(stateDir, emulator.env);
  const options = async () => ({ pulumiCommand: await pulumiCommand(), envVars });
  const localStacks: Stack[] = [];
  // The suite's state folder is new, so are its stacks: `stack init` alone (createOrSelectStack first runs a
  // `stack select` that fails, one more CLI start).
  return {
    emulator,
    stateDir,
    envVars,
    inlineStack: async (projectName, stackName, program) =>
      engineStack(
        await LocalWorkspace.createStack(
          { projectName, stackName, program },
          await inlineOptions(stateDir, projectName, envVars),
        ),
      ),
    async localStack(workDir, stackName) {
      const stack = await LocalWorkspace.createStack({ stackName, workDir }, await options());
      localStacks.push(stack);
      return engineStack(stack);
    },
    rawState: (projectName, stackName) =>
      fs.readFile(path.join(stateDir, "backend", ".pulumi", "stacks", projectName, `${stackName}.json`), "utf8"),
    async tearDown() {
      // `stack rm` also deletes the Pulumi.<stack>.yaml that selecting a stack wrote into the project folder.
      for (const stack of localStacks) await stack.workspace.removeStack(stack.name, { force: true }).catch(() => {});
      await emulator.stop();
      await removeStateDir(stateDir);
    },
  };
}

/** Templates the emulator holds right now, as ARM returns them. */
export async function templates(emulator: TestEmulator): Promise<ArmTemplate[]> {
  return (await emulator.admin.state()).templates as unknown as ArmTemplate[];
}

export interface ArmTemplate {
  id: string;
  name: string;
  tags?: Record<string, string>;
  systemData?: { createdAt?: string };
  properties: { source: Record<string, unknown>; provisioningState?: string };
}
