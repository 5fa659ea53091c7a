/**
 * `npm run test:mutation`: StrykerJS once per group of mutated files, each group with only the specs that can kill its
 * mutants, then the scores into TESTING.md. One spec list for everything made every mutant of the pure provider files
 * wait for the emulator suites' dry run, and every emulator mutant for the provider suites': per group the whole run
 * fits on two cores (TESTING.md has the timings). `stryker.config.json` holds the options the groups share.
 * Usage: ts-node test/mutation/run.ts [group ...]   (no group: all of them)
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { recordScores } from "./record-scores";

interface Group {
  /** Files whose mutants this group measures. */
  mutate: string[];
  /** The tests that load those files from source in the test process (Stryker's mutants live only there). */
  spec: string[];
  /** Run in Stryker's sandbox before the tests: for specs that load the built `dist/` (the mutants are compiled in). */
  buildCommand?: string;
  /** Test runner processes: more than the two cores where the tests mostly wait on the emulator's timers. */
  concurrency?: number;
}

const GROUPS: Record<string, Group> = {
  // Pure functions and the environment readers: unit tests, plus the two provider suites that sign in from source.
  "provider-logic": {
    mutate: [
      "provider/image-template/check.ts",
      "provider/image-template/diff.ts",
      "provider/image-template/mapping.ts",
      "provider/image-template/build-settings.ts",
      "provider/image-template/plan.ts",
      "provider/image-template/properties.ts",
      "provider/azure/credentials.ts",
      "provider/azure/tuning.ts",
      "provider/azure/wait.ts",
    ],
    spec: [
      "test/unit/arm-template.test.ts",
      "test/unit/build.test.ts",
      "test/unit/build-plan-rules.test.ts",
      "test/unit/busy.test.ts",
      "test/unit/check.test.ts",
      "test/unit/cmdlet-mapping.test.ts",
      "test/unit/credentials.test.ts",
      "test/unit/credentials-env.test.ts",
      "test/unit/diff.test.ts",
      "test/unit/diff-rules.test.ts",
      "test/unit/mapping.test.ts",
      "test/unit/patch-body.test.ts",
      "test/unit/properties.test.ts",
      "test/unit/service-answers.test.ts",
      "test/unit/wait.test.ts",
      "test/unit/pace.test.ts",
      "test/provider/credentials.test.ts",
      "test/provider/sign-in.test.ts",
    ],
  },
  // The operations against Azure: the provider suites, most of which call the built provider.
  "provider-operations": {
    mutate: [
      "provider/image-template/operations.ts",
      "provider/image-template/change.ts",
      "provider/image-template/patch.ts",
      "provider/image-template/owed-build.ts",
      "provider/image-template/record.ts",
      "provider/azure/client.ts",
    ],
    spec: [
      "test/unit/build.test.ts",
      "test/unit/credentials.test.ts",
      "test/provider/*.test.ts",
      // Creates that lose track of their template, first-run failures, the ownership marker: in process, from source.
      "test/reliability/recovery.test.ts",
      "test/reliability/ownership.test.ts",
    ],
    buildCommand: "npm run build",
    concurrency: 4,
  },
  emulator: {
    mutate: ["emulator/auth.ts", "emulator/lro.ts", "emulator/persistence.ts"],
    spec: [
      "test/emulator/auth-rules.test.ts",
      "test/emulator/auth.test.ts",
      "test/emulator/token-claims.test.ts",
      "test/emulator/token-expiry.test.ts",
      "test/emulator/lro.test.ts",
      "test/emulator/persistence-rules.test.ts",
      "test/emulator/persistence.test.ts",
    ],
    concurrency: 4,
  },
};

const ROOT = path.resolve(__dirname, "../..");
const REPORTS = path.join(ROOT, "reports");

/**
 * Left out of every group: the managed identity sign-in test. MSAL keeps a process's managed identity source and its
 * tokens in static state, so run again in the same test runner (as Stryker does for each mutant) it gets its token
 * from that cache, sends no request and fails whatever the mutant; its failures would count as kills. `npm test`
 * runs it once per process, as a provider process signs in.
 */
const NOT_RERUNNABLE = "managed identity: ARM_USE_MSI";

/** Stryker's config for one group: the shared options with the group's files, specs, build and report paths. */
function configFor(name: string, group: Group): string {
  const shared = JSON.parse(readFileSync(path.join(ROOT, "stryker.config.json"), "utf8"));
  const config = {
    ...shared,
    mutate: group.mutate,
    mochaOptions: { ...shared.mochaOptions, spec: group.spec, grep: `^(?!.*${NOT_RERUNNABLE})` },
    ...(group.buildCommand ? { buildCommand: group.buildCommand } : {}),
    ...(group.concurrency ? { concurrency: group.concurrency } : {}),
    incrementalFile: `reports/stryker-incremental-${name}.json`,
    jsonReporter: { fileName: `reports/mutation/${name}.json` },
  };
  const file = path.join(REPORTS, `stryker-${name}.conf.json`);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

function main(): void {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((g) => !(g in GROUPS));
  if (unknown.length > 0)
    throw new Error(`unknown group ${unknown.join(", ")}; groups: ${Object.keys(GROUPS).join(", ")}`);
  mkdirSync(path.join(REPORTS, "mutation"), { recursive: true });
  const reports: string[] = [];
  const timings: string[] = [];
  for (const name of asked.length > 0 ? asked : Object.keys(GROUPS)) {
    const started = Date.now();
    // Stryker ends its runners with a signal, so kept emulators never remove their data dirs (keys, secrets): give
    // the run a temp dir of its own and remove it afterwards.
    const scratch = mkdtempSync(path.join(tmpdir(), `stryker-${name}-`));
    const run = spawnSync("npx", ["stryker", "run", configFor(name, GROUPS[name])], {
      cwd: ROOT,
      stdio: "inherit",
      // Test emulators are reset and kept between mutants instead of restarted (test/helpers/emulator.ts).
      env: { ...process.env, IMAGEBUILDER_TEST_REUSE_EMULATORS: "1", TMPDIR: scratch },
    });
    rmSync(scratch, { recursive: true, force: true });
    if (run.status !== 0) throw new Error(`stryker failed for group ${name} (exit ${run.status ?? run.signal})`);
    reports.push(path.join(REPORTS, "mutation", `${name}.json`));
    timings.push(`${name}: ${Math.round((Date.now() - started) / 1000)} s`);
  }
  const command = `npm run test:mutation${asked.length > 0 ? ` -- ${asked.join(" ")}` : ""}`;
  console.log(recordScores(command, reports));
  console.log(`\nmutation testing took ${timings.join(", ")}`);
}

main();
