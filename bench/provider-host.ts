/**
 * Child process for the cold-start figure: does what the engine's dynamic-provider host does on the first request
 * for a resource (load @pulumi/pulumi, evaluate `__provider` with require-from-string in the project directory,
 * call check then diff) and reports how long that took and the process's peak RSS.
 * Usage (cwd = a project with the package installed): `node provider-host.js <provider.js> <inputs.json>`.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type * as pulumi from "@pulumi/pulumi";

export interface HostReport {
  /** From process start to the first diff answer (what the engine waits for on a cold plugin). */
  processMs: number;
  /** Evaluating `__provider` plus the first check and diff. */
  providerMs: number;
  /** Mean check + diff per further resource once warm (what each extra template adds to a preview). */
  warmPerResourceMs: number;
  maxRssKb: number;
}

const WARM_CALLS = 50;

async function main(providerFile: string, inputsFile: string): Promise<void> {
  const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi", { paths: [process.cwd()] }));
  pulumiRequire("@pulumi/pulumi");
  const requireFromString = pulumiRequire("require-from-string") as (code: string) => {
    handler(): pulumi.dynamic.ResourceProvider;
  };
  const inputs = JSON.parse(readFileSync(inputsFile, "utf8")) as Record<string, unknown>;
  const text = readFileSync(providerFile, "utf8");
  const start = performance.now();
  const provider = requireFromString(text).handler();
  const checkAndDiff = async () => {
    const checked = provider.check ? ((await provider.check({}, inputs)).inputs ?? inputs) : inputs;
    if (provider.diff) await provider.diff("id", checked, checked);
  };
  await checkAndDiff();
  const end = performance.now();
  for (let i = 0; i < WARM_CALLS; i++) await checkAndDiff();
  const warmPerResourceMs = (performance.now() - end) / WARM_CALLS;
  const report: HostReport = {
    processMs: end,
    providerMs: end - start,
    warmPerResourceMs,
    maxRssKb: process.resourceUsage().maxRSS,
  };
  process.stdout.write(JSON.stringify(report));
}

if (require.main === module) {
  main(process.argv[2], process.argv[3]).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
