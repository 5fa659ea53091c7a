/**
 * State written before provider/ was split by resource names the old module paths: the installed package's
 * `dist/provider/provider.js` and `dist/provider/trigger-provider.js` (serialized by reference), and the
 * `loadImplementation("dist/provider/operations.js", "./operations")` calls of providers serialized by value from a
 * checkout (and the trigger's equivalent). Each must still load the same provider object or operations as the new
 * paths. Needs `npm run build` (npm test does).
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { imageTemplateProvider, imageTemplateTriggerProvider } from "../../provider";
import { loadImplementation, PACKAGE, packageRoot } from "../../provider/load";

const OPERATIONS = ["configure", "check", "diff", "create", "read", "update", "$delete"];
const TRIGGER_OPERATIONS = OPERATIONS.filter((name) => name !== "update");

/** The module's exports as loaded both ways: the same functions under the same names, and at least `expected`. */
function assertSameOperations(old: Record<string, unknown>, current: Record<string, unknown>, expected: string[]) {
  assert.notEqual(old, undefined);
  assert.deepEqual(Object.keys(old).sort(), Object.keys(current).sort());
  for (const name of expected) {
    assert.equal(typeof current[name], "function", name);
    assert.equal(old[name], current[name], name);
  }
}

describe("module paths named by state of earlier versions", () => {
  const dist = (file: string) => require(path.join(packageRoot(), "dist/provider", file));

  it("dist/provider/provider.js and trigger-provider.js are the providers the package exports", () => {
    assert.equal(dist("provider.js"), dist("image-template/provider.js"));
    assert.equal(dist("trigger-provider.js"), dist("trigger/provider.js"));
    assert.equal(require(`${PACKAGE}/dist/provider/provider.js`), require(`${PACKAGE}`).imageTemplateProvider);
    assert.equal(
      require(`${PACKAGE}/dist/provider/trigger-provider.js`),
      require(`${PACKAGE}`).imageTemplateTriggerProvider,
    );
    assert.equal(typeof dist("provider.js").update, "function");
    assert.equal(dist("trigger-provider.js").update, undefined);
  });

  it("the old operations entries load the same operations, from the build and from source", () => {
    const old = loadImplementation<Record<string, unknown>>("dist/provider/operations.js", "./operations");
    const current = loadImplementation<Record<string, unknown>>(
      "dist/provider/image-template/operations.js",
      "./image-template/operations",
    );
    assertSameOperations(old, current, OPERATIONS);
    assertSameOperations(dist("operations.js"), dist("image-template/operations.js"), OPERATIONS);
    const oldTrigger = loadImplementation<Record<string, unknown>>(
      "dist/provider/trigger-operations.js",
      "./trigger-operations",
    );
    const trigger = loadImplementation<Record<string, unknown>>(
      "dist/provider/trigger/operations.js",
      "./trigger/operations",
    );
    assertSameOperations(oldTrigger, trigger, TRIGGER_OPERATIONS);
    assertSameOperations(
      require("../../provider/operations"),
      require("../../provider/image-template/operations"),
      OPERATIONS,
    );
    assertSameOperations(
      require("../../provider/trigger-operations"),
      require("../../provider/trigger/operations"),
      TRIGGER_OPERATIONS,
    );
  });

  it("the source shims are the providers index exports", () => {
    assert.equal(require("../../provider/provider"), imageTemplateProvider);
    assert.equal(require("../../provider/trigger-provider"), imageTemplateTriggerProvider);
  });
});
