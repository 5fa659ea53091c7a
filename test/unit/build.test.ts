import assert from "node:assert/strict";
import { buildOnCreate, resolveBuild } from "../../provider/image-template/build-settings";
import { checkInputs } from "../../provider/image-template/check";
import { UNKNOWN } from "../../provider/codecs/combinators";
import { diffInputs } from "../../provider/image-template/plan";
import { plan } from "../../provider/image-template/plan";
import { diff } from "../../provider/image-template/operations";
import { minimalArgs } from "./fixtures/args";

const withBuild = (build: unknown, extra: Record<string, unknown> = {}) => ({ ...minimalArgs(), build, ...extra });

describe("build settings: defaults and validation", () => {
  it("defaults to never building, waiting, no cancel, and the template's build timeout plus a 30 minute margin", () => {
    assert.deepEqual(resolveBuild(minimalArgs()), {
      when: "never",
      trigger: undefined,
      waitForCompletion: true,
      timeoutMinutes: 270,
      cancelOnTimeout: false,
      logs: "onFailure",
    });
    assert.equal(resolveBuild({ ...minimalArgs(), buildTimeoutInMinute: 60 }).timeoutMinutes, 90);
    assert.equal(resolveBuild(withBuild({ timeoutMinutes: 0.5 }, { buildTimeoutInMinute: 60 })).timeoutMinutes, 0.5);
  });

  it("accepts every setting, rejects wrong kinds with the member's path, and a trigger that can never fire", () => {
    const check = (build: unknown) => checkInputs({}, withBuild(build), { env: {} }).failures;
    assert.deepEqual(
      check({
        when: "onChange",
        trigger: { v: [1, "a"] },
        waitForCompletion: false,
        timeoutMinutes: 5,
        cancelOnTimeout: true,
        logs: "stream",
      }),
      [],
    );
    assert.deepEqual(
      check({ logs: "always" }).map((f) => f.property),
      ["build.logs"],
    );
    assert.deepEqual(
      check({ when: "always" }).map((f) => f.property),
      ["build.when"],
    );
    assert.deepEqual(
      check({ timeoutMinutes: 0 }).map((f) => f.property),
      ["build.timeoutMinutes"],
    );
    assert.deepEqual(
      check({ waitForCompletion: "yes" }).map((f) => f.property),
      ["build.waitForCompletion"],
    );
    assert.deepEqual(
      check({ when: "onCreate", bogus: 1 }).map((f) => f.property),
      ["build.bogus"],
    );
    const never = check({ trigger: "v2" });
    assert.deepEqual(
      never.map((f) => f.property),
      ["build.trigger"],
    );
    assert.match(never[0].reason, /"onCreate" or "onChange"/);
  });
});

describe("build planning", () => {
  it("builds on create unless when is never", () => {
    assert.equal(buildOnCreate(minimalArgs()), undefined);
    assert.match(buildOnCreate(withBuild({ when: "onCreate" }))!, /onCreate/);
    assert.match(buildOnCreate(withBuild({ when: "onChange" }))!, /onChange/);
  });

  it("rebuilds on update when the trigger changes, the previous build is pending, or (onChange) the template changes", () => {
    const olds = withBuild({ when: "onCreate", trigger: { release: 1, os: "jammy" } });
    assert.equal(plan(olds, olds).build, undefined, "nothing changed");
    assert.equal(plan(olds, withBuild({ when: "onCreate", trigger: { os: "jammy", release: 1 } })).build, undefined);
    assert.match(plan(olds, withBuild({ when: "onCreate", trigger: { release: 2, os: "jammy" } })).build!, /trigger/);
    assert.match(plan(olds, withBuild({ when: "onCreate", trigger: UNKNOWN })).build!, /trigger/);
    assert.match(plan({ ...olds, buildPending: true }, olds).build!, /did not complete/);
    assert.equal(plan({ ...olds, buildPending: true }, minimalArgs()).build, undefined, "never: the user gave up");
    const tagged = (when: string) => withBuild({ when }, { tag: { env: "prod" } });
    assert.equal(plan(withBuild({ when: "onCreate" }), tagged("onCreate")).build, undefined);
    assert.match(plan(withBuild({ when: "onChange" }), tagged("onChange")).build!, /onChange/);
    assert.equal(
      plan(withBuild({ when: "onChange" }), withBuild({ when: "onChange", waitForCompletion: false })).build,
      undefined,
      "changing how to build is no reason to build",
    );
  });

  it("a change of build settings alone is an update, never a replacement, and not a PATCH", () => {
    const d = diffInputs(
      withBuild({ when: "onCreate" }),
      withBuild({ when: "onChange", trigger: 2, timeoutMinutes: 9 }),
    );
    assert.deepEqual(d.replaces, []);
    assert.deepEqual(d.updates, ["build"]);
    assert.equal(d.changes, true);
    assert.equal(diffInputs(minimalArgs(), withBuild({ when: "never", waitForCompletion: true })).changes, false);
  });

  it("the provider's diff reports an update for an owed build even when no argument changed", async () => {
    const olds = { ...withBuild({ when: "onCreate" }), buildPending: true };
    assert.equal(diffInputs(olds, withBuild({ when: "onCreate" })).changes, false);
    assert.deepEqual(await diff("id", olds, withBuild({ when: "onCreate" })), {
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
      detailedDiff: { build: { kind: "update", replace: false } },
    });
    assert.equal((await diff("id", withBuild({ when: "onCreate" }), withBuild({ when: "onCreate" }))).changes, false);
  });
});
