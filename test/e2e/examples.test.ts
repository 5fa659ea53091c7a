/**
 * Every example is a Pulumi project a user copies: each must deploy against the emulator through the language host
 * (TypeScript program, its own Pulumi.yaml and tsconfig), change nothing on a second `up`, and destroy cleanly.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { ENSURE_TIMEOUT_MS, pulumiBinDir } from "./helpers/engine";
import { startEngineSuite, templates, type EngineSuite } from "./helpers/stacks";

const repoRoot = path.resolve(__dirname, "..", "..");
const EXAMPLES = ["quickstart", "gallery", "windows", "from-json"];

describe("examples deploy and destroy against the emulator", function () {
  this.timeout(5 * 60_000);
  let suite: EngineSuite;

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    await pulumiBinDir();
    suite = await startEngineSuite();
  });

  after(async () => {
    await suite?.tearDown();
  });

  for (const example of EXAMPLES) {
    it(`examples/${example}`, async () => {
      const stack = await suite.localStack(path.join(repoRoot, "examples", example), `e2e-${example}`);
      const up = await stack.up();
      assert.equal(up.summary.result, "succeeded");
      assert.deepEqual(up.summary.resourceChanges, { create: 2 });

      const { templateName, templateId, provisioningState } = up.outputs;
      assert.equal(provisioningState.value, "Succeeded");
      const held = await templates(suite.emulator);
      assert.deepEqual(
        held.map((t) => t.id),
        [templateId.value],
      );
      assert.equal(held[0].name, templateName.value);

      const again = await stack.up();
      assert.deepEqual(again.summary.resourceChanges, { same: 2 });
      assert.deepEqual(again.outputs.templateId, templateId);

      const destroy = await stack.destroy();
      assert.equal(destroy.summary.result, "succeeded");
      assert.deepEqual(await templates(suite.emulator), []);
    });
  }
});
