/**
 * kill -9 of `pulumi up` (the engine's whole process tree) while it waits for the image builds of 4 templates, then
 * the recovery RELIABILITY.md tells users to run: pulumi cancel; pulumi refresh --clear-pending-creates; pulumi up.
 * The builds the killed run started were started for these very resources (their templates carry the resources'
 * ownership markers), so the recovering up waits for them and records their run outputs, and starts none: 4 `run`
 * POSTs in all. The same for an update owing a rebuild (its build trigger changed) killed mid-build. Builds last an
 * hour of emulator time, so "mid-build" does not depend on the machine's pace; the recovering up moves the clock on.
 */
import assert from "node:assert/strict";
import { ENSURE_TIMEOUT_MS, pulumiBinDir } from "../e2e/helpers/engine";
import { stepBuildsOnReads } from "../helpers/build-clock";
import { startFleet, type Fleet } from "./fleet";
import { recordFigure, suiteCommand } from "./summary";

const SIZE = 4;
const RUN = /\/imageTemplates\/[^/]+\/run$/;
const HOUR = 3_600_000;
const TEMPLATE_TYPE = "pulumi-nodejs:dynamic/azure-imagebuilder:ImageTemplate";

interface Recorded {
  type: string;
  outputs?: { runOutputs?: Record<string, { artifactId?: string }>; buildPending?: boolean; build?: unknown };
}

describe("reliability: pulumi up killed during image builds", function () {
  this.timeout(10 * 60_000);
  let fleet: Fleet;

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    await pulumiBinDir();
    fleet = await startFleet("killed-builds", SIZE, { buildDurationMs: HOUR }, { FLEET_BUILD_TRIGGER: "first" });
  });
  after(async () => {
    await fleet?.tearDown();
  });

  const runPosts = async () =>
    (await fleet.emulator.admin.requests()).filter((e) => e.kind === "arm" && e.method === "POST" && RUN.test(e.path));
  const runStates = async () =>
    (await fleet.emulator.admin.state()).templates.map(
      (t) => (t as { properties: { lastRunStatus?: { runState?: string } } }).properties.lastRunStatus?.runState,
    );
  const recorded = async () =>
    ((JSON.parse((await fleet.pulumi(["stack", "export"])).stdout).deployment.resources ?? []) as Recorded[]).filter(
      (r) => r.type === TEMPLATE_TYPE,
    );

  /** Starts `pulumi up` and SIGKILLs its process tree once it started every template's build (all mid-build). */
  async function killDuringBuilds(): Promise<void> {
    await fleet.emulator.admin.clearRequests();
    const run = fleet.start("up", ["--parallel", String(SIZE), "--skip-preview"]);
    await fleet.armRequestsReach(run, "POST", SIZE, RUN);
    await run.kill();
    assert.equal(await run.exited, null, "the engine was killed, it did not finish");
    assert.deepEqual(await runStates(), Array(SIZE).fill("Running"), "killed mid-build");
  }

  /**
   * cancel, refresh --clear-pending-creates, up; the builds end (the emulator's clock moves an hour) once the up has
   * read every running one, so it meets each build running.
   */
  async function recover(): Promise<void> {
    await fleet.pulumi(["cancel", "--yes"]);
    await fleet.pulumi(["refresh", "--yes", "--skip-preview", "--clear-pending-creates"]);
    const clock = stepBuildsOnReads(fleet.emulator, HOUR);
    try {
      await fleet.pulumi(["up", "--yes", "--skip-preview"]);
    } finally {
      await clock.stop();
    }
  }

  /** Run POSTs of the killed and the recovering up, per template; templates with run outputs recorded. */
  async function tally(label: string, key: string) {
    const posts = await runPosts();
    const perTemplate = new Map<string, number>();
    for (const p of posts) perTemplate.set(p.path, (perTemplate.get(p.path) ?? 0) + 1);
    const duplicated = [...perTemplate.values()].reduce((n, v) => n + v - 1, 0);
    const resources = await recorded();
    const withOutputs = resources.filter((r) => r.outputs?.runOutputs?.image?.artifactId).length;
    recordFigure(key, {
      label,
      value: `${posts.length} / ${duplicated} / ${withOutputs}`,
      expected: `${SIZE} / 0 / ${SIZE}`,
      command: suiteCommand("killed-builds.test.ts"),
    });
    assert.equal(posts.length, SIZE, "run POSTs in all");
    assert.equal(duplicated, 0);
    assert.equal(resources.length, SIZE);
    assert.equal(withOutputs, SIZE, "each template's run outputs are recorded");
    for (const r of resources) assert.notEqual(r.outputs?.buildPending, true);
    assert.deepEqual(await runStates(), Array(SIZE).fill("Succeeded"));
    await fleet.pulumi(["preview", "--expect-no-changes"]);
  }

  it("a create killed mid-build: the recovering up takes the running builds back and starts none", async () => {
    await killDuringBuilds();
    await recover();
    await tally(
      `kill -9 of pulumi up during the builds of N=${SIZE} new templates, then cancel, refresh --clear-pending-creates, up: run POSTs / duplicated / run outputs recorded`,
      "killed-builds-create",
    );
  });

  it("an update owing a rebuild killed mid-build: the recovering up takes those builds and starts none", async () => {
    fleet.rebuild("second");
    await killDuringBuilds();
    await recover();
    await tally(
      `kill -9 of pulumi up during the rebuilds of an update of N=${SIZE} templates (build trigger changed), then the same recovery: run POSTs / duplicated / run outputs recorded`,
      "killed-builds-update",
    );
    for (const r of await recorded()) assert.deepEqual((r.outputs?.build as { trigger?: string })?.trigger, "second");
  });
});
