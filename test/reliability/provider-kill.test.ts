/**
 * kill -9 of the provider host alone (the dynamic-provider process `pulumi-resource-pulumi-nodejs` runs) while the
 * engine creates or deletes templates: the CLI survives and the in-flight operations fail, so Azure and the state
 * disagree (templates made but not recorded; templates deleted, or being deleted, but still recorded). The recovery
 * RELIABILITY.md tells users, one plain `pulumi up` (or `pulumi destroy` again), must then converge by itself: the
 * ownership marker lets a create take back the template it made, and a delete of a template already gone or
 * `Deleting` succeeds. Measured for N = 8 and N = 20.
 */
import assert from "node:assert/strict";
import { ENSURE_TIMEOUT_MS, pulumiBinDir } from "../e2e/helpers/engine";
import { descendants, startFleet, type Fleet, type Tally } from "./fleet";
import { recordFigure, suiteCommand } from "./summary";

/** Templates an up drops from the stack, and deletes in flight when the provider host dies. */
const DROPPED = 4;
/** The engine's --parallel for the runs whose provider is killed. */
const PARALLEL = 4;

const counts = (t: Tally) => `${t.held} / ${t.duplicated} / ${t.orphaned} / ${t.lost}`;

for (const size of [8, 20]) {
  describe(`reliability: kill -9 of the provider host during an up or destroy of ${size}`, function () {
    this.timeout(8 * 60_000);
    let fleet: Fleet;

    before(async function () {
      this.timeout(ENSURE_TIMEOUT_MS);
      await pulumiBinDir();
      fleet = await startFleet(`provider-kill-${size}`, size);
    });
    after(async () => {
      await fleet?.tearDown();
    });

    /**
     * Starts `pulumi <command>` and SIGKILLs its provider host once `count` `method` requests reached Azure, the last
     * wave of them still running (operations are held until then); afterwards every one of them is over in Azure.
     */
    async function killProviderAfter(command: "up" | "destroy", method: string, count: number): Promise<void> {
      await fleet.emulator.admin.clearRequests();
      await fleet.holdOperations();
      const run = fleet.start(command, ["--parallel", String(PARALLEL), "--skip-preview"]);
      try {
        await fleet.inFlightAfter(run, method, count, PARALLEL);
        const hosts = (await descendants(run.pid)).filter((p) => p.command.includes("dynamic-provider"));
        assert.ok(hosts.length > 0, "found the provider host");
        for (const { pid } of hosts) process.kill(pid, "SIGKILL");
        assert.notEqual(await run.exited, 0, "the operation fails when its provider dies");
      } finally {
        // A failed step must not leave this run holding the stack's lock for the next test.
        await run.kill();
        await fleet.releaseOperations();
      }
    }

    it("mid-create: one plain pulumi up converges: exactly N, 0 duplicated, 0 orphaned, 0 lost", async () => {
      await killProviderAfter("up", "PUT", Math.min(size / 2, 8));
      const afterKill = await fleet.tally(size);
      const unrecorded = afterKill.held - afterKill.recorded;
      assert.ok(unrecorded > 0, "the killed creates left templates the state does not know");

      await fleet.pulumi(["up", "--yes", "--skip-preview"]);

      const final = await fleet.tally(size);
      recordFigure(`provider-kill-${size}`, {
        label: `kill -9 of the provider host mid-create, N=${size} (${unrecorded} unrecorded templates), then one plain up: held / duplicated / orphaned / lost`,
        value: counts(final),
        expected: `${size} / 0 / 0 / 0`,
        command: suiteCommand("provider-kill.test.ts"),
      });
      assert.equal(counts(final), `${size} / 0 / 0 / 0`);
      await fleet.pulumi(["preview", "--expect-no-changes"]);
    });

    it(`mid-delete of ${DROPPED} dropped templates: one plain pulumi up converges to the N - ${DROPPED} declared`, async () => {
      const kept = size - DROPPED;
      fleet.resize(size);
      await fleet.pulumi(["up", "--yes", "--skip-preview"]);
      fleet.resize(kept);
      await killProviderAfter("up", "DELETE", DROPPED);
      // The deletes the killed host sent go on in Azure; the state still records those templates.
      const stale = (await fleet.tally(kept)).recorded - kept;
      assert.ok(stale > 0, "the killed deletes left templates recorded in the state");

      await fleet.pulumi(["up", "--yes", "--skip-preview"]);

      const final = await fleet.tally(kept);
      recordFigure(`provider-kill-delete-${size}`, {
        label: `kill -9 of the provider host mid-delete, an up dropping ${DROPPED} of N=${size} (${stale} deletes unrecorded), then one plain up: held / duplicated / orphaned / lost`,
        value: counts(final),
        expected: `${kept} / 0 / 0 / 0`,
        command: suiteCommand("provider-kill.test.ts"),
      });
      assert.equal(counts(final), `${kept} / 0 / 0 / 0`);
      assert.equal(final.recorded, kept);
      await fleet.pulumi(["preview", "--expect-no-changes"]);
    });

    it("mid-destroy: pulumi destroy again leaves no template in Azure and none in the state", async () => {
      fleet.resize(size);
      await fleet.pulumi(["up", "--yes", "--skip-preview"]);
      await killProviderAfter("destroy", "DELETE", DROPPED);
      const stale = (await fleet.tally(0)).recorded;
      assert.ok(stale > 0, "the killed destroy left templates recorded in the state");

      await fleet.pulumi(["destroy", "--yes", "--skip-preview"]);

      const final = await fleet.tally(0);
      recordFigure(`provider-kill-destroy-${size}`, {
        label: `kill -9 of the provider host mid-destroy of N=${size} (${stale} still recorded), then pulumi destroy again: templates left in Azure / in the state`,
        value: `${final.held} / ${final.recorded}`,
        expected: "0 / 0",
        command: suiteCommand("provider-kill.test.ts"),
      });
      assert.deepEqual([final.held, final.recorded], [0, 0]);
    });
  });
}
