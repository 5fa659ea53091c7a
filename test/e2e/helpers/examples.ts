import { readdirSync } from "node:fs";
import * as path from "node:path";

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
