/**
 * The test files a runtime runs, in the order mocha's workers take them: mocha hands files to its workers in the
 * order given, so a long file given late is the run's tail, running alone while the other workers have nothing left.
 * The files that take longest start first (longest-processing-time-first), then every other file of the runtime's
 * folders, folder by folder.
 */
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { RUN_ONCE_SPECS, type Runtime } from "./runtimes";

/**
 * The longest files of a whole run, longest first (the sum of their tests' durations in the floor's run, TESTING.md
 * "How long the suite takes"). A file missing here only starts later; one that no longer exists is left out.
 * long-build-sign-in is mostly waiting on 3-s tokens: started last, it was the run's tail. A request CPU starvation
 * delays past its token's end is sent again with a fresh token (provider/azure/expired-token.ts), so it can start
 * beside the largest files. The release test (24 s, packing both packages) is the longest of the unit files, which
 * start last: started last of all, it was the tail once long-build-sign-in was not.
 */
export const STARTED_FIRST = [
  "test/e2e/upgrade.test.ts",
  "test/e2e/examples.test.ts",
  "test/reliability/provider-kill.test.ts",
  "test/e2e/install.test.ts",
  "test/e2e/progress.test.ts",
  "test/e2e/builds.test.ts",
  "test/provider/long-build-sign-in.test.ts",
  "test/e2e/demo.test.ts",
  "test/e2e/toolchain.test.ts",
  "test/e2e/lifecycle.test.ts",
  "test/unit/release.test.ts",
];

/** Every `*.test.ts` under the runtime's folders (relative to root), the longest first; the floor runs the run-once ones. */
export function suiteFiles(root: string, runtime: Runtime): string[] {
  const leftOut = runtime.node === "floor" ? [] : RUN_ONCE_SPECS;
  const files = runtime.folders
    .flatMap((folder) =>
      readdirSync(path.join(root, folder), { recursive: true, encoding: "utf8" })
        .filter((file) => file.endsWith(".test.ts"))
        .sort()
        .map((file) => path.posix.join(folder, file.split(path.sep).join("/"))),
    )
    .filter((file) => !leftOut.includes(file));
  return [...STARTED_FIRST.filter((file) => files.includes(file)), ...files.filter((f) => !STARTED_FIRST.includes(f))];
}
