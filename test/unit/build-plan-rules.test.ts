import assert from "node:assert/strict";
import { buildOnUpdate } from "../../provider/image-template/build-settings";
import { UNKNOWN } from "../../provider/codecs/combinators";
import { minimalArgs } from "./fixtures/args";

describe("build planning: settings not known yet", () => {
  it("owes a build when the build settings are unknown at preview (they may ask for one)", () => {
    const olds = { ...minimalArgs(), build: { when: "onCreate" } };
    assert.equal(buildOnUpdate(olds, { ...olds, build: UNKNOWN }, false), "the build settings are not known yet");
    assert.equal(buildOnUpdate(olds, { ...olds }, false), undefined, "known and unchanged: nothing owed");
  });
});
