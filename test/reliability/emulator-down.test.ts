/**
 * The emulator (Azure, for the provider) goes down for 90 s while `pulumi up` creates N templates, then comes back on
 * the same port with the state it had saved. The up fails once its retries run out: some creates were done, some
 * being polled, and the answer to the latest PUTs may have been lost. One plain `pulumi up` must then converge:
 * exactly N, 0 duplicated, 0 orphaned, 0 lost. Both sizes run side by side and share one outage, so the suite waits
 * the 90 s once.
 */
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { ENSURE_TIMEOUT_MS, pulumiBinDir } from "../e2e/helpers/engine";
import { startFleet, type Fleet, type Tally } from "./fleet";
import { recordFigure, suiteCommand } from "./summary";

const SIZES = [8, 20];
const OUTAGE_MS = 90_000;
/**
 * Template PUTs each up has sent when the emulator goes down: the first 4 (--parallel 4) are done or being polled,
 * the latest may have lost their answer.
 */
const PUTS_BEFORE_OUTAGE = 6;

describe("reliability: the emulator down for 90 s during an up", function () {
  this.timeout(8 * 60_000);
  const fleets = new Map<number, Fleet>();
  const afterOutage = new Map<number, Tally>();

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS + OUTAGE_MS);
    await pulumiBinDir();
    for (const size of SIZES) {
      // Creates last 6 s: the first four end together and the next PUTs follow at once, so the outage must come
      // well before that wave completes even when this machine is slow to notice the sixth PUT.
      fleets.set(size, await startFleet(`emulator-down-${size}`, size, { lroDurationMs: 6000 }));
    }
    const outages = [...fleets.values()].map(async (fleet) => {
      const run = fleet.start("up", ["--parallel", "4", "--skip-preview"]);
      const puts = async () =>
        (await fleet.emulator.admin.requests()).filter((e) => e.method === "PUT" && e.kind === "arm").length;
      while ((await puts()) < PUTS_BEFORE_OUTAGE) await delay(25);
      await fleet.stopEmulator();
      const downSince = Date.now();
      assert.notEqual(await run.exited, 0, "the up fails while Azure is unreachable");
      await delay(OUTAGE_MS - (Date.now() - downSince));
      await fleet.startEmulator();
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
      assert.ok(
        cut.held > 0 && cut.recorded < size,
        `the outage cut the up short after some creates: ${JSON.stringify(cut)}`,
      );

      await fleet.pulumi(["up", "--yes", "--skip-preview"]);

      const final = await fleet.tally(size);
      const counts = `${final.held} / ${final.duplicated} / ${final.orphaned} / ${final.lost}`;
      recordFigure(`emulator-down-${size}`, {
        label: `Emulator down 90 s during an up of N=${size} (${cut.held} templates made before, ${cut.recorded} recorded, ${cut.unsettled} of them unsettled), then one plain up: held / duplicated / orphaned / lost`,
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
