/**
 * The emulator (Azure, for the provider) goes down while `pulumi up` creates N templates, and comes back on the same
 * port with the state it had saved once the up has given up. Creates finish only when the test moves the emulator's
 * clock, so the moment of the outage is the test's: the first wave of creates (--parallel 4) is done, the second wave
 * is being polled (one of their answers may have been cut), the rest never started. One plain `pulumi up` must then
 * converge: exactly N, 0 duplicated, 0 orphaned, 0 lost. Both sizes run side by side and share one outage.
 */
import assert from "node:assert/strict";
import { ENSURE_TIMEOUT_MS, pulumiBinDir } from "../e2e/helpers/engine";
import { startFleet, type Fleet, type Tally } from "./fleet";
import { recordFigure, suiteCommand } from "./summary";

const SIZES = [8, 20];
const PARALLEL = 4;
/** Longer than any test: an operation ends when the test advances the emulator's clock by it. */
const CREATE_MS = 3600_000;

describe("reliability: the emulator down during an up, until the up gives up", function () {
  this.timeout(8 * 60_000);
  const fleets = new Map<number, Fleet>();
  const afterOutage = new Map<number, Tally>();

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    await pulumiBinDir();
  });
  before(async () => {
    for (const size of SIZES) {
      fleets.set(size, await startFleet(`emulator-down-${size}`, size, { lroDurationMs: CREATE_MS }));
    }
    const outages = [...fleets.values()].map(async (fleet) => {
      const run = fleet.start("up", ["--parallel", String(PARALLEL), "--skip-preview"]);
      await fleet.armRequestsReach(run, "PUT", PARALLEL);
      await fleet.emulator.admin.advanceClock(CREATE_MS);
      await fleet.armRequestsReach(run, "PUT", 2 * PARALLEL);
      await fleet.stopEmulator();
      assert.notEqual(await run.exited, 0, "the up fails while Azure is unreachable");
      await fleet.startEmulator();
      // The second wave's creates end now; the converging up's own creates take the usual emulator time.
      await fleet.emulator.admin.setTiming({ lroDurationMs: 1000 });
      await fleet.emulator.admin.advanceClock(CREATE_MS);
    });
    await Promise.all(outages);
    for (const [size, fleet] of fleets) afterOutage.set(size, await fleet.tally(size));
  });
  after(async () => {
    await Promise.all([...fleets.values()].map((fleet) => fleet.tearDown()));
  });

  for (const size of SIZES) {
    it(`N=${size}: one plain pulumi up converges: exactly N, 0 duplicated, 0 orphaned, 0 lost`, async () => {
      const fleet = fleets.get(size)!;
      const cut = afterOutage.get(size)!;
      assert.equal(cut.held, 2 * PARALLEL, `two waves of creates reached Azure: ${JSON.stringify(cut)}`);
      assert.equal(
        cut.recorded - cut.unsettled,
        PARALLEL,
        `only the first wave was recorded as created: ${JSON.stringify(cut)}`,
      );

      await fleet.pulumi(["up", "--yes", "--skip-preview"]);

      const final = await fleet.tally(size);
      const counts = `${final.held} / ${final.duplicated} / ${final.orphaned} / ${final.lost}`;
      recordFigure(`emulator-down-${size}`, {
        label: `Emulator down during an up of N=${size} until the up gave up (${cut.held} templates made before, ${cut.recorded} recorded, ${cut.unsettled} of them unsettled), then one plain up: held / duplicated / orphaned / lost`,
        value: counts,
        expected: `${size} / 0 / 0 / 0`,
        command: suiteCommand("emulator-down.test.ts"),
      });
      assert.equal(counts, `${size} / 0 / 0 / 0`);
      assert.equal(final.recorded, size);
      assert.equal(final.unsettled, 0, "every recorded template reads Succeeded, also those recorded mid-create");
      for (const t of (await fleet.emulator.admin.state()).templates) {
        assert.equal((t.properties as { provisioningState: string }).provisioningState, "Succeeded");
      }
      await fleet.pulumi(["preview", "--expect-no-changes"]);
    });
  }
});
