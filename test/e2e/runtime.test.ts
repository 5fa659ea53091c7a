/**
 * The runtime a run claims is the one it has: this process, the provider plugin the engine starts, and the CLI all run
 * the Node.js and @pulumi/pulumi the runner set up (toolchain/test-runtimes.ts passes them in
 * IMAGEBUILDER_TEST_RUNTIME). Without it (a plain `npx mocha` in the checkout) the expectation is the floor: the
 * `node` running mocha and the lowest @pulumi/pulumi of the package's range. A runner that put the newest SDK in the
 * wrong place, or a plugin started under another `node`, fails here instead of passing on the floor's tools.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { execCommand } from "../../toolchain/exec";
import { EXPECTED_RUNTIME, floorSdkOf } from "../../toolchain/runtimes";
import { ENSURE_TIMEOUT_MS, pulumiBinDir } from "./helpers/engine";
import { REPO_ROOT } from "./helpers/npm";
import { startEngineSuite, type EngineSuite } from "./helpers/stacks";

interface Loaded {
  node: string;
  sdk: string;
}

function expected(): Loaded {
  const given = process.env[EXPECTED_RUNTIME];
  if (given) return JSON.parse(given) as Loaded;
  const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
  return { node: process.version, sdk: floorSdkOf(manifest.dependencies["@pulumi/pulumi"]) };
}

/** Reports what the provider plugin process loaded; `require` in a dynamic provider is the plugin's own. */
const probe: pulumi.dynamic.ResourceProvider = {
  async create() {
    const sdk = require("@pulumi/pulumi/package.json") as { version: string };
    return { id: "probe", outs: { node: process.version, sdk: sdk.version } };
  },
};

class Probe extends pulumi.dynamic.Resource {
  declare readonly node: pulumi.Output<string>;
  declare readonly sdk: pulumi.Output<string>;
  constructor(name: string) {
    super(probe, name, { node: undefined, sdk: undefined }, {});
  }
}

describe("the runtime under test", function () {
  this.timeout(5 * 60_000);
  const want = expected();
  let suite: EngineSuite;

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    await pulumiBinDir();
    suite = await startEngineSuite();
  });

  after(async () => {
    await suite?.tearDown();
  });

  it(`this process runs Node.js ${want.node} and loads @pulumi/pulumi ${want.sdk}`, () => {
    assert.equal(process.version, want.node);
    assert.equal((require("@pulumi/pulumi/package.json") as { version: string }).version, want.sdk);
    // The package under test resolves the same copy (one SDK in the process, as in a user's install).
    const fromPackage = require.resolve("@pulumi/pulumi/package.json", {
      paths: [path.dirname(require.resolve("pulumi-azure-imagebuilder"))],
    });
    assert.equal(fromPackage, require.resolve("@pulumi/pulumi/package.json"));
  });

  it(`the CLI is the release of that SDK, v${want.sdk}`, async () => {
    const version = await execCommand(path.join(await pulumiBinDir(), "pulumi"), ["version"]);
    assert.equal(version.stdout.trim(), `v${want.sdk}`);
  });

  it("the engine's dynamic provider plugin runs the same Node.js and SDK", async () => {
    const stack = await suite.inlineStack("runtime-probe", "dev", async () => {
      const p = new Probe("probe");
      return { node: p.node, sdk: p.sdk };
    });
    const up = await stack.up();
    assert.equal(up.outputs.node.value, want.node);
    assert.equal(up.outputs.sdk.value, want.sdk);
  });
});
