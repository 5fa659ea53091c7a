// `npm run demo`: deploy the root Pulumi.yaml quickstart against the local emulator with the real Pulumi CLI.
// `npm run demo -- --destroy` tears the same stack and emulator state down again.
// `npm run demo -- --fail` deploys the quickstart in a second stack whose build fails in its "install-nginx"
// customizer (the emulator's failBuild fault), streaming the build's log live; the up's error names the customizer
// and shows its log lines. That stack is destroyed again afterwards, so the run can be repeated.
//
// Everything the demo makes lives in `.demo/` at the repository root (emulator data, file backend, PULUMI_HOME),
// so a later run, or the destroy, finds the stack and the templates it created. IMAGEBUILDER_DEMO_DIR moves it
// (the tests use a temporary folder).
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { startEmulator, type RunningEmulator } from "../emulator";
import { packageRoot } from "../provider/load";
import { offlineEngineEnv } from "./engine-env";
import { ensurePulumi } from "./ensure-pulumi";
import { runPulumi, type RunPulumiOptions } from "./run-pulumi";

const repoRoot = packageRoot();
const demoDir = path.resolve(process.env.IMAGEBUILDER_DEMO_DIR ?? path.join(repoRoot, ".demo"));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { destroy: { type: "boolean", default: false }, fail: { type: "boolean", default: false } },
  });
  const stackName = values.fail ? "demo-fail" : "demo";
  const binDir = await ensurePulumi();
  const emulator = await startEmulator({ port: 0, dataDir: path.join(demoDir, "emulator"), quiet: true });
  const options = {
    cwd: repoRoot,
    binDir,
    echo: true,
    env: { ...offlineEngineEnv({ stateDir: path.join(demoDir, "pulumi"), binDir }), ...emulator.env },
  };
  const pulumi = async (...args: string[]) => {
    process.stderr.write(`\n$ pulumi ${args.join(" ")}\n`);
    const { code } = await runPulumi(args, options);
    if (code !== 0) throw new Error(`\`pulumi ${args.join(" ")}\` exited with code ${code}`);
  };
  try {
    process.stderr.write(`Emulator: ${emulator.url} (state in ${emulator.dataDir})\n`);
    await pulumi("stack", "select", "--create", stackName);
    if (values.fail) {
      await failingUp(emulator, options);
      await pulumi("destroy", "--yes");
      await pulumi("stack", "rm", "--yes", stackName);
    } else if (values.destroy) {
      await pulumi("destroy", "--yes");
      await pulumi("stack", "rm", "--yes", stackName);
    } else {
      // The build's progress (step, elapsed time, estimate; its lines) appears live on the template's own row.
      await pulumi("up", "--yes");
      await pulumi("stack", "output", "--json");
      process.stderr.write(
        "\nThe image the build produced is the stack output `imageId` (run output ubuntu-web-image).\n",
      );
    }
  } finally {
    await emulator.stop();
  }
  if (values.fail) {
    process.stderr.write(
      `\nThe up above failed on purpose (npm run demo -- --fail): its error names the failing customizer and shows the\n` +
        `last lines of its customization.log, which the build streamed live on the template's row (build.logs "stream").\n`,
    );
  } else if (values.destroy) {
    fs.rmSync(demoDir, { recursive: true, force: true });
    process.stderr.write(`\nDestroyed the demo stack and removed ${demoDir}.\n`);
  } else {
    process.stderr.write(
      `\nThe stack and the emulator's state are kept in ${demoDir}.\n` +
        `Run \`npm run demo\` again to see that nothing changes; tear it down with \`npm run demo -- --destroy\`.\n`,
    );
  }
}

/** An up whose build fails in "install-nginx" with apt's error, its log streamed; exiting non-zero is the point. */
async function failingUp(emulator: RunningEmulator, options: RunPulumiOptions): Promise<void> {
  await emulator.admin.injectFault({
    method: "POST",
    path: "/run$",
    kind: "failBuild",
    customizer: "install-nginx",
    output: ["Reading package lists...", "E: Unable to locate package nginx"],
  });
  process.stderr.write("\n$ pulumi up --yes --config buildLogs=stream   (this build is made to fail)\n");
  const { code } = await runPulumi(["up", "--yes", "--config", "buildLogs=stream"], options);
  if (code === 0) throw new Error("the up was meant to fail, but it succeeded");
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
