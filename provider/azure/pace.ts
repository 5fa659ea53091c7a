/*
 * The pace of the provider's own status reads when the service asks for none (the real Image Builder never sends
 * Retry-After): quick while a change is likely, just after a build, cancel, create or delete started, then backing off
 * to the Azure CLI's 30 s for the hours a Windows build may take. Goals at the default pace: a change shown within
 * 10 s during the first 5 minutes, within 60 s after, at most 150 reads per build-hour over a 4-hour build (ARM
 * throttles reads per principal). bench/poll-pace.ts computes the figures in BENCHMARKS.md from this table.
 */

/** The quickest pause at the default pace; AZURE_IMAGEBUILDER_POLL_INTERVAL_MS scales the schedule by itself / this. */
export const DEFAULT_POLL_INTERVAL_MS = 2000;

/** Pauses at the default pace: `pauseMs` until `elapsedMs` (since the wait began) reaches `untilMs`. */
export const SCHEDULE: readonly { untilMs: number; pauseMs: number }[] = [
  // Most template creates (10-40 s) and a run's first change of sub-state (Queued -> Building) fall in here.
  { untilMs: 30_000, pauseMs: 2000 },
  { untilMs: 2 * 60_000, pauseMs: 5000 },
  // 8 s, not 10: the read itself and a retried blip fit in the 10 s goal.
  { untilMs: 5 * 60_000, pauseMs: 8000 },
  { untilMs: Infinity, pauseMs: 30_000 },
];

/** A duration of the default schedule at the pace `intervalMs` (the emulator's env sets 50: 1/40 of every time). */
export function scaled(ms: number, intervalMs: number): number {
  return (ms * intervalMs) / DEFAULT_POLL_INTERVAL_MS;
}

/** The pause before the next read of a wait that began `elapsedMs` ago, at the pace `intervalMs`. */
export function nextPauseMs(elapsedMs: number, intervalMs: number = DEFAULT_POLL_INTERVAL_MS): number {
  const step = SCHEDULE.find((s) => elapsedMs < scaled(s.untilMs, intervalMs)) ?? SCHEDULE[SCHEDULE.length - 1];
  return scaled(step.pauseMs, intervalMs);
}
