import assert from "node:assert/strict";
import { DEFAULT_POLL_INTERVAL_MS, nextPauseMs, scaled } from "../../provider/azure/wait";
import { FIXED_INTERVAL, play, SCHEDULED } from "../../bench/poll-pace";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

describe("the poll schedule (no Retry-After from the service)", () => {
  it("starts at the old fixed interval, so nothing just after a run, cancel, create or delete is read later", () => {
    assert.equal(nextPauseMs(0), DEFAULT_POLL_INTERVAL_MS);
    assert.equal(nextPauseMs(29 * SECOND), 2000);
  });

  it("backs off step by step to the Azure CLI's 30 s, and never pauses longer", () => {
    assert.deepEqual(
      [0, 30, 119, 120, 299, 300, 3600, 4 * 3600].map((s) => nextPauseMs(s * SECOND)),
      [2000, 5000, 5000, 8000, 8000, 30_000, 30_000, 30_000],
    );
  });

  it("pauses at most 10 s during a build's first 5 minutes and at most 60 s after (every second checked)", () => {
    for (let s = 0; s < 4 * 3600; s++) {
      const pause = nextPauseMs(s * SECOND);
      assert.ok(pause <= (s < 300 ? 10 * SECOND : 60 * SECOND), `pause ${pause} ms at ${s} s`);
      assert.ok(pause >= nextPauseMs(Math.max(0, s - 1) * SECOND), `the pace never quickens again (at ${s} s)`);
    }
  });

  it("scales every time by AZURE_IMAGEBUILDER_POLL_INTERVAL_MS / 2000 (50 ms: 1/40, the emulator's env)", () => {
    assert.equal(scaled(60 * SECOND, 50), 1500);
    for (const s of [0, 29, 30, 119, 120, 299, 300, 3600]) {
      assert.equal(nextPauseMs(scaled(s * SECOND, 50), 50), nextPauseMs(s * SECOND) / 40, `at ${s} s`);
    }
    assert.equal(nextPauseMs(10 * HOUR, 0), 0, "0: no pause at all, as before");
  });
});

describe("the schedule played over a build (bench/poll-pace.ts)", () => {
  it("counts reads as the wait makes them: a pause, then a read, until one at or after the end", () => {
    // 2 s apart over 60 s: reads at 2, 4, ..., 60 s.
    assert.deepEqual(play(FIXED_INTERVAL, MINUTE), {
      durationMs: MINUTE,
      reads: 30,
      readsPerHour: 1800,
      worstDelayFirst5MinMs: 2000,
      worstDelayAfterMs: 0,
    });
    // 7 s then 10 s apart: reads at 7, 17 s; a change just after 0 waits 7 s, one just after 7 s waits 10 s.
    const played = play((t) => (t === 0 ? 7000 : 10_000), 15 * SECOND);
    assert.equal(played.reads, 2);
    assert.equal(played.worstDelayFirst5MinMs, 10_000);
    // 4 min then 2 min apart: the change just after 5 min is read at 6 min.
    const late = play((t) => (t === 0 ? 4 * MINUTE : 2 * MINUTE), 6 * MINUTE);
    assert.equal(late.worstDelayAfterMs, MINUTE);
  });

  it("meets the goals: ≤ 150 ARM reads per build-hour over a 4-hour build, changes read within 10 s / 60 s", () => {
    const fourHours = play(SCHEDULED, 4 * HOUR);
    assert.ok(fourHours.readsPerHour <= 150, `${fourHours.readsPerHour} reads per build-hour`);
    assert.ok(fourHours.worstDelayFirst5MinMs <= 10 * SECOND);
    assert.ok(fourHours.worstDelayAfterMs <= 60 * SECOND);
    assert.equal(play(FIXED_INTERVAL, 4 * HOUR).readsPerHour, 1800, "what the fixed 2 s interval cost");
  });

  it("costs the same reads at the scaled pace over a scaled build (what the emulator measurement relies on)", () => {
    const at50 = (t: number) => nextPauseMs(t, 50);
    for (const d of [MINUTE, HOUR, 4 * HOUR]) assert.equal(play(at50, d / 40).reads, play(SCHEDULED, d).reads);
  });
});
