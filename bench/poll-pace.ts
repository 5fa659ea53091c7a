/**
 * The provider's pace while a build runs against a service that sends no Retry-After (the real one never does).
 *
 * Computed: the schedule (provider/azure/wait.ts) played over builds of 15 minutes to 4 hours, next to the fixed 2 s
 * interval it replaced: status reads, reads per build-hour, and the longest a state change waits to be read.
 * Measured: template status reads during one real build against the emulator, at the default pace (a 60 s build, real
 * time) and at the emulator env's scaled pace (AZURE_IMAGEBUILDER_POLL_INTERVAL_MS=50, 1/40 of every time: a 90 s build
 * stands for one build-hour). The emulator's clock cannot be advanced for a child process's timers, hence the scale.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { RunningEmulator } from "../emulator";
import { DEFAULT_POLL_INTERVAL_MS, nextPauseMs, SCHEDULE } from "../provider/azure/wait";
import { childScript, waitRequests } from "./build-requests";
import { onEmulator } from "./case-emulator";
import { runWhenMain } from "./run";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The goals' boundary: within 10 s before it, within 60 s after. */
const QUICK_PHASE_MS = 5 * MINUTE;

/** A pace: the pause before the next read of a wait that began `elapsedMs` ago. */
export type Pace = (elapsedMs: number) => number;

/** Before: one read every AZURE_IMAGEBUILDER_POLL_INTERVAL_MS (2 s by default) for as long as the build ran. */
export const FIXED_INTERVAL: Pace = () => DEFAULT_POLL_INTERVAL_MS;
export const SCHEDULED: Pace = (elapsedMs) => nextPauseMs(elapsedMs);

export interface Played {
  durationMs: number;
  /** Status reads from the run's start until the first read at or after its end (which sees it end). */
  reads: number;
  readsPerHour: number;
  /** The longest a state change waits for the read that shows it, for a change in the first 5 minutes / after. */
  worstDelayFirst5MinMs: number;
  worstDelayAfterMs: number;
}

/**
 * Plays a pace over a build of `durationMs` as build.ts waits: the run starts at 0, a pause, a read, and so on until a
 * read at or after the end. Reads take no time here (a real read adds its latency to the delays).
 */
export function play(pace: Pace, durationMs: number): Played {
  let reads = 0;
  let worstFirst = 0;
  let worstAfter = 0;
  for (let last = 0; last < durationMs;) {
    const next = last + pace(last);
    reads += 1;
    // A change just after `last` waits until `next`; one in the window after 5 minutes, from 5 minutes at the latest.
    if (last < QUICK_PHASE_MS) worstFirst = Math.max(worstFirst, next - last);
    if (next > QUICK_PHASE_MS) worstAfter = Math.max(worstAfter, next - Math.max(last, QUICK_PHASE_MS));
    last = next;
  }
  return {
    durationMs,
    reads,
    readsPerHour: (reads * HOUR) / durationMs,
    worstDelayFirst5MinMs: worstFirst,
    worstDelayAfterMs: worstAfter,
  };
}

export const PLAYED_DURATIONS = [15 * MINUTE, HOUR, 4 * HOUR];

export interface MeasuredBuild {
  /** AZURE_IMAGEBUILDER_POLL_INTERVAL_MS given to the provider; undefined: its default. */
  pollIntervalMs?: number;
  buildDurationMs: number;
  /** Template status reads between starting the run and seeing it end. */
  reads: number;
}

export const MEASURED: Omit<MeasuredBuild, "reads">[] = [
  { buildDurationMs: MINUTE },
  { pollIntervalMs: 50, buildDurationMs: 90_000 },
];

/** One build per case, with Retry-After 0 (the provider then keeps its own pace, as against the real service). */
export async function measureBuilds(shared?: RunningEmulator): Promise<MeasuredBuild[]> {
  const results: MeasuredBuild[] = [];
  for (const c of MEASURED) {
    const timing = { lroDurationMs: 200, buildDurationMs: c.buildDurationMs, retryAfterSeconds: 0 };
    const reads = await onEmulator(shared, timing, async (emu) => {
      const env: Record<string, string | undefined> = { ...process.env, ...emu.env };
      env.AZURE_IMAGEBUILDER_POLL_INTERVAL_MS = c.pollIntervalMs === undefined ? undefined : String(c.pollIntervalMs);
      await promisify(execFile)(process.execPath, ["-e", childScript(emu.subscriptionId)], { env });
      return waitRequests(await emu.admin.requests());
    });
    results.push({ ...c, reads });
  }
  return results;
}

const span = (ms: number) => (ms >= HOUR ? `${ms / HOUR} h` : ms >= MINUTE ? `${ms / MINUTE} min` : `${ms / 1000} s`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(ms % 1000 ? 1 : 0)} s`;

/** The section BENCHMARKS.md gets from `npm run bench`. */
export function renderPollPace(measured: MeasuredBuild[]): string {
  const rows = PLAYED_DURATIONS.map((d) => [play(FIXED_INTERVAL, d), play(SCHEDULED, d)]);
  const schedule = SCHEDULE.map((s) =>
    s.untilMs === Infinity ? `then ${seconds(s.pauseMs)}` : `${seconds(s.pauseMs)} to ${span(s.untilMs)}`,
  ).join(", ");
  const lines = [
    "## Status reads while a build runs (the service sends no Retry-After)",
    "",
    "The real service sends no Retry-After, so the provider's own pace sets how many ARM reads a build costs (ARM " +
      "throttles reads per principal). Before: one read every 2 s for the whole build. After: the schedule of " +
      `provider/azure/wait.ts (${schedule}). Goals for the default ` +
      "pace: a state change shown within 10 s during the first 5 minutes and within 60 s after; ≤ 150 ARM reads per " +
      "build-hour over a 4-hour build.",
    "",
    "Computed (`node dist/bench/poll-pace.js`: each pace played over the build, reads taking no time; a real read adds " +
      "its latency to the delays, hence 8 s, not 10, before 5 minutes):",
    "",
    "| build | reads before | reads after | per build-hour before | per build-hour after | worst delay, first 5 min (before / after) | worst delay after 5 min (before / after) |",
    "|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      ([b, a]) =>
        `| ${span(b.durationMs)} | ${b.reads} | ${a.reads} | ${b.readsPerHour.toFixed(1)} | ${a.readsPerHour.toFixed(1)} | ${seconds(b.worstDelayFirst5MinMs)} / ${seconds(a.worstDelayFirst5MinMs)} | ${seconds(b.worstDelayAfterMs)} / ${seconds(a.worstDelayAfterMs)} |`,
    ),
    "",
    "Measured (`node dist/bench/poll-pace.js`): template status reads in the emulator's request log between the run's " +
      "POST and the read that saw the build end, one build each, Retry-After 0, the real provider (dist/) in a child " +
      "process. At 50 ms every time of the schedule is 1/40 of the default's, so the 90 s build stands for one " +
      "build-hour (its reads' latency, not scaled, weighs 40 times more).",
    "",
    "| AZURE_IMAGEBUILDER_POLL_INTERVAL_MS | build (emulator) | stands for | status reads | computed for the default |",
    "|---:|---:|---:|---:|---:|",
    ...measured.map((m) => {
      const scale = (m.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS) / DEFAULT_POLL_INTERVAL_MS;
      const standsFor = m.buildDurationMs / scale;
      return `| ${m.pollIntervalMs ?? "unset (2000)"} | ${span(m.buildDurationMs)} | ${span(standsFor)} | ${m.reads} | ${play(SCHEDULED, standsFor).reads} |`;
    }),
  ];
  return `${lines.join("\n")}\n`;
}

runWhenMain(module, async () => {
  const measured = await measureBuilds();
  console.table(measured);
  process.stdout.write(renderPollPace(measured));
});
