import assert from "node:assert/strict";
import {
  clockText,
  estimateError,
  expectedLeftMs,
  expectedTotalMs,
  historyOf,
  HISTORY_SIZE,
  leftText,
  PhaseTimeline,
  withBuild,
} from "../../provider/image-template/build-estimate";
import { engineAddress, resourceLog } from "../../provider/engine-log";
import { diff } from "../../provider/image-template/operations";

const MIN = 60_000;

describe("build estimate (pure)", () => {
  it("times each phase from its first sighting to the next one's, the first from the start, the last to the end", () => {
    const t = new PhaseTimeline();
    t.observe("Queued", 1 * MIN);
    t.observe("Queued", 3 * MIN);
    t.observe("Building", 5 * MIN);
    t.observe(undefined, 6 * MIN);
    t.observe("Customizing", 12 * MIN);
    assert.equal(t.sinceMs("Queued", 0, 4 * MIN), 4 * MIN, "the first phase runs from the run's start");
    assert.equal(t.sinceMs("Customizing", 0, 13 * MIN), 1 * MIN);
    assert.equal(t.sinceMs("Distributing", 0, 13 * MIN), undefined);
    assert.deepEqual(t.durations(0, 20 * MIN), { Queued: 300, Building: 420, Customizing: 480 });
  });

  it("estimates what is left from the mean of each phase, in the run's order whatever the stored key order", () => {
    // Stored as the engine keeps objects: keys sorted.
    const history = [
      { Building: 600, Customizing: 1200, Distributing: 300, Queued: 60 },
      { Building: 400, Customizing: 1000, Distributing: 500, Queued: 60 },
    ];
    assert.equal(expectedTotalMs(history), (60 + 500 + 1100 + 400) * 1000);
    // 2 min into Customizing: 1100 - 120 s of it, then Distributing's 400 s.
    assert.equal(expectedLeftMs(history, "Customizing", 2 * MIN), (980 + 400) * 1000);
    // Over this phase's mean: none of it left, only the later phases.
    assert.equal(expectedLeftMs(history, "Customizing", 30 * MIN), 400 * 1000);
    assert.equal(expectedLeftMs(history, "Validating", 0), undefined, "a phase no earlier build ran: no guess");
    assert.equal(expectedLeftMs([], "Queued", 0), undefined, "no history, no estimate");
    assert.equal(expectedTotalMs([]), undefined);
  });

  it("keeps the last builds only, and drops what is not a history", () => {
    let h = historyOf(undefined);
    for (let i = 1; i <= HISTORY_SIZE + 2; i++) h = withBuild(h, { Queued: i });
    assert.deepEqual(
      h.map((b) => b.Queued),
      [3, 4, 5],
    );
    assert.deepEqual(historyOf([{ Queued: 5 }, { Queued: -1 }, "x", null, [1], { Queued: "5" }]), [{ Queued: 5 }]);
    assert.deepEqual(historyOf({ Queued: 5 }), []);
  });

  it("words the times: elapsed, what is left, how far off a finished build was", () => {
    assert.equal(clockText(12 * MIN + 3000), "12m03s");
    assert.equal(leftText(9 * MIN), "about 9 min left");
    assert.equal(leftText(40_000), "about 40 s left");
    assert.equal(leftText(0), "longer than previous builds");
    assert.equal(estimateError(19 * MIN + 40_000, 21 * MIN + 10_000), "estimate 19m40s, 1m30s longer");
    assert.equal(estimateError(10 * MIN, 9 * MIN), "estimate 10m00s, 1m00s shorter");
    assert.equal(estimateError(10 * MIN, 10 * MIN + 400), "estimate 10m00s, exact");
  });
});

describe("engine log: where a resource's lines go", () => {
  it("knows the engine only inside the dynamic provider host or the plugin, from its first argument", () => {
    const host = "/p/node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js";
    assert.equal(engineAddress(["node", host, "127.0.0.1:45123"]), "127.0.0.1:45123");
    assert.equal(
      engineAddress(["node", "/p/node_modules/@pulumi/pulumi/cmd/dynamic-provider", "localhost:1"]),
      "localhost:1",
    );
    const plugin = "/home/u/.pulumi/plugins/resource-azure-imagebuilder-v0.1.0/node_modules/p/dist/plugin/main.js";
    assert.equal(engineAddress(["node", plugin, "127.0.0.1:45123"]), "127.0.0.1:45123");
    assert.equal(engineAddress(["node", "/p/node_modules/.bin/mocha", "127.0.0.1:45123"]), undefined);
    assert.equal(engineAddress(["node", "/p/dist/other/main.js", "127.0.0.1:45123"]), undefined);
    assert.equal(engineAddress(["node", host, "--flag"]), undefined);
    assert.equal(engineAddress(["node", host]), undefined);
  });

  it("without the engine (this process), prints lasting lines with the resource's name and drops statuses", async () => {
    const printed: string[] = [];
    const log = resourceLog("web", "urn:pulumi:dev::p::t::web", (l) => printed.push(l));
    log.status("building: queued (0m01s)");
    log.diagnostic("build Running - Queued (0m01s)");
    log.diagnostic("careful", "warning");
    await log.flush();
    assert.deepEqual(printed, ["[web] build Running - Queued (0m01s)", "[web] careful"]);
  });
});

describe("the URN input", () => {
  it("is ignored by diff: a renamed stack or an alias is no change of the template", async () => {
    const bag = { resourceGroupName: "rg", imageTemplateName: "t", subscriptionId: "s", location: "westus" };
    const result = await diff(
      "id",
      { ...bag, __urn: "urn:pulumi:dev::p::pulumi-nodejs:dynamic/azure-imagebuilder:ImageTemplate::web" },
      { ...bag, __urn: "urn:pulumi:prod::p::pulumi-nodejs:dynamic/azure-imagebuilder:ImageTemplate::web" },
    );
    assert.equal(result.changes, false);
  });
});
