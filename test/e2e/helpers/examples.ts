import * as assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { cp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { withDirLock } from "../../../toolchain/dir-lock";
import { compareVersions, parseVersion } from "../../../toolchain/versions";
import { runDir } from "../../helpers/run-dir";
import { manifestOf, npm, PACKAGE, packedRepository } from "./npm";

export const EXAMPLES_DIR = path.resolve(__dirname, "../../../examples");

/**
 * Examples the examples suite does not deploy as npm projects, each with the reason and the test that checks it
 * instead. real-azure creates its prerequisites with @pulumi/azure-native, whose plugin is not available offline and
 * which has no emulator: test/e2e/real-azure.test.ts type-checks it and runs it under Pulumi's mock runtime. yaml is a
 * Pulumi YAML program of the plugin: test/e2e/yaml.test.ts deploys it.
 */
export const NOT_DEPLOYED: Record<string, string> = {
  "real-azure": "needs the azure-native plugin and a real subscription",
  yaml: "a Pulumi YAML program, run through the plugin and the YAML language host",
};

/** The example folders that deploy against the emulator, read at load time so each gets its own test. */
export const DEPLOYABLE_EXAMPLES = readdirSync(EXAMPLES_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory() && !(d.name in NOT_DEPLOYED))
  .map((d) => d.name);

/** The examples that are npm projects (a Pulumi YAML program is not): every deployable one and real-azure. */
export const NPM_EXAMPLES = readdirSync(EXAMPLES_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(path.join(EXAMPLES_DIR, d.name, "package.json")))
  .map((d) => d.name);

const SDK = "@pulumi/pulumi";
/** The SDK of the runtime under test (toolchain/runtimes.ts): the examples run on it, as a user of that runtime would. */
export const RUNTIME_SDK = (require(`${SDK}/package.json`) as { version: string }).version;

/** Whether a `^x.y.z` range admits `version`. */
const accepts = (range: string, version: string): boolean => {
  const [low, v] = [parseVersion(range), parseVersion(version)];
  return range.startsWith("^") && !!low && !!v && low.major === v.major && compareVersions(low, v) <= 0;
};

export interface InstalledExamples {
  /** The folder holding a copy of each npm example, side by side, and the node_modules they share. */
  dir: string;
  /** Seconds the install took. */
  seconds: number;
}

/**
 * Every npm example copied outside the repository, side by side under one folder whose node_modules holds their own
 * dependencies (they must agree on versions) with this package from its packed tarball and the runtime's
 * @pulumi/pulumi, production dependencies only (`--omit=dev`, as a user deploying from the tarball installs; the
 * examples' TypeScript is among them, Pulumi compiles the programs with it). Installed once per test run (runDir,
 * under a lock) for the suites that read it: the examples suite and real-azure's. A suite adds folders of its own
 * beside the copies; it never changes the install.
 */
export async function installedExamples(): Promise<InstalledExamples> {
  const dir = path.join(runDir(), "examples");
  return withDirLock(
    `${dir}.lock`,
    () => undefined,
    async () => {
      const done = path.join(dir, "installed.json");
      const existing = await readFile(done, "utf8").catch(() => undefined);
      if (existing !== undefined) return JSON.parse(existing) as InstalledExamples;
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      const tarball = await packedRepository();
      const dependencies: Record<string, string> = {};
      for (const example of NPM_EXAMPLES) {
        const source = path.join(EXAMPLES_DIR, example);
        const files = await readdir(source);
        for (const file of ["Pulumi.yaml", "index.ts", "package.json", "tsconfig.json"]) {
          assert.ok(files.includes(file), `examples/${example} has no ${file}`);
        }
        const { dependencies: deps = {}, devDependencies: dev = {} } = await manifestOf(source);
        assert.ok(deps[PACKAGE], `examples/${example}/package.json must depend on ${PACKAGE}`);
        for (const name of [SDK, "typescript", "@types/node"]) {
          assert.ok(deps[name] ?? dev[name], `examples/${example}/package.json must list ${name}`);
        }
        for (const [name, range] of Object.entries({ ...deps, ...dev })) {
          if (name === SDK) assert.ok(accepts(range, RUNTIME_SDK), `examples/${example} takes ${SDK} ${range}`);
          const wanted = name === PACKAGE ? `file:${tarball}` : name === SDK ? RUNTIME_SDK : range;
          assert.equal(dependencies[name] ?? wanted, wanted, `examples disagree on ${name}`);
          dependencies[name] = wanted;
        }
        await cp(source, path.join(dir, example), { recursive: true });
      }
      await writeFile(
        path.join(dir, "package.json"),
        JSON.stringify({ name: "copied-examples", private: true, dependencies }),
      );
      const started = Date.now();
      await npm(dir, "install", "--omit=dev");
      const installed: InstalledExamples = { dir, seconds: Math.round((Date.now() - started) / 1000) };
      await writeFile(done, JSON.stringify(installed));
      return installed;
    },
  );
}
