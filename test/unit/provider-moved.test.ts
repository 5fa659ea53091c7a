import assert from "node:assert/strict";
import { providerMoved } from "../../provider/property-bag";

// Which diffs record the program's serialized provider with an update (test/e2e/git-install-upgrade.test.ts runs the
// whole upgrade through the engine).
describe("providerMoved: a stored serialized provider other than the program's", () => {
  it("is a move when both are strings and differ", () => {
    assert.equal(providerMoved({ __provider: "old" }, { __provider: "new" }), true);
  });

  it("is none when they are equal, or either side has none (operations called directly, without the engine)", () => {
    assert.equal(providerMoved({ __provider: "same" }, { __provider: "same" }), false);
    assert.equal(providerMoved({}, { __provider: "new" }), false);
    assert.equal(providerMoved({ __provider: "old" }, {}), false);
  });
});
