/**
 * The runtimes `npm test` covers (test-runtimes.ts runs them): the floor, which the package's `engines` and
 * `@pulumi/pulumi` range start at, and the Node.js LTS lines users install today with the newest SDK.
 * Bump NEWEST_SDK and the Node.js versions here when the registry has newer ones (the runner prints a notice).
 */

export interface Runtime {
  /** The label of its `N passed, N failed` line. */
  readonly name: string;
  /** A Node.js version installed from the registry (node-runtime.ts), or "floor": the `node` running the tests. */
  readonly node: string;
  /** An @pulumi/pulumi version put over the checkout (sdk-overlay.ts), or "floor": the checkout's own install. */
  readonly sdk: string;
  /** Spec globs for mocha, or "suite": the whole suite (`npm run test:suite`). */
  readonly specs: "suite" | readonly string[];
}

import { formatVersion, parseVersion } from "./versions";

/** The lowest @pulumi/pulumi a range accepts, the floor's SDK: "3.248.0" for "^3.248.0". */
export function floorSdkOf(range: string): string {
  const lowest = parseVersion(range);
  if (!lowest) throw new Error(`the @pulumi/pulumi range "${range}" names no version`);
  return formatVersion(lowest);
}

/** The newest @pulumi/pulumi 3.x on the registry when last bumped; the CLI of the same release is built for it. */
export const NEWEST_SDK = "3.276.0";

/**
 * On the newer runtimes, the suites that load @pulumi/pulumi, run the provider or the emulator under that Node.js, or
 * drive the engine: e2e, reliability and provider (longest first, as the floor's run orders them). The unit and
 * emulator suites test pure code and the emulator's conformance, which do not change with the SDK, and run on the
 * floor only.
 */
export const NEWER_RUNTIME_SPECS = [
  "test/e2e/**/*.test.ts",
  "test/reliability/**/*.test.ts",
  "test/provider/**/*.test.ts",
];
/**
 * Specs the newer runtimes leave out (TESTING.md, "Runtimes"), each for its reason: the upgrade test runs on the
 * floor's pass and sets up the floor and the newest runtime itself.
 */
export const RUN_ONCE_SPECS = ["test/e2e/upgrade.test.ts"];

export const RUNTIMES: readonly Runtime[] = [
  { name: "node20", node: "floor", sdk: "floor", specs: "suite" },
  { name: "node22", node: "22.23.5", sdk: NEWEST_SDK, specs: NEWER_RUNTIME_SPECS },
  { name: "node24", node: "24.22.3", sdk: NEWEST_SDK, specs: NEWER_RUNTIME_SPECS },
];

/** The runtime the upgrade test upgrades to: the newest Node.js with the newest SDK. */
export const NEWEST_RUNTIME = RUNTIMES[RUNTIMES.length - 1];

/**
 * Set by the runner for the test processes: `{"node":"v22.23.5","sdk":"3.276.0"}`, what test/e2e/runtime.test.ts
 * asserts the test process, the engine's provider plugin and the CLI run with.
 */
export const EXPECTED_RUNTIME = "IMAGEBUILDER_TEST_RUNTIME";
