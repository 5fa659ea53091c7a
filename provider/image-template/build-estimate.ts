/*
 * How long a build's phases (the service's runSubState: Queued, Building, Customizing, ..., Distributing) took in this
 * resource's previous successful builds, and what that says about the running one. Measured by the service's clock
 * (each status read's Date header against lastRunStatus.startTime/endTime), as the status reads saw the phases change:
 * no request of its own. Pure.
 */

/** One successful build: seconds per phase, in the order the phases ran. */
export type PhaseSeconds = Record<string, number>;

/** Builds kept: enough for a mean that one slow build does not dominate, small enough for state. */
export const HISTORY_SIZE = 3;

/** The history as stored (state outputs), with whatever older or foreign values dropped. */
export function historyOf(value: unknown): PhaseSeconds[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (b): b is PhaseSeconds =>
      typeof b === "object" &&
      b !== null &&
      !Array.isArray(b) &&
      Object.values(b).every((s) => typeof s === "number" && Number.isFinite(s) && s >= 0),
  );
}

export const withBuild = (history: PhaseSeconds[], build: PhaseSeconds): PhaseSeconds[] =>
  [...history, build].slice(-HISTORY_SIZE);

/** The first moment each phase was seen in, by the service's clock. */
export class PhaseTimeline {
  private readonly seen: { phase: string; at: number }[] = [];

  observe(phase: string | undefined, at: number): void {
    if (phase && !this.seen.some((s) => s.phase === phase)) this.seen.push({ phase, at });
  }

  /** How long `phase` has run at `now` (the first phase since the run's start); undefined if never seen. */
  sinceMs(phase: string, startMs: number | undefined, now: number): number | undefined {
    const i = this.seen.findIndex((s) => s.phase === phase);
    if (i < 0) return undefined;
    const from = i === 0 && startMs !== undefined ? startMs : this.seen[i].at;
    return Math.max(0, now - from);
  }

  /** A finished build's phases: each lasts from its first sighting (the first from the start) to the next one's. */
  durations(startMs: number, endMs: number): PhaseSeconds {
    const out: PhaseSeconds = {};
    this.seen.forEach((s, i) => {
      const from = i === 0 ? startMs : s.at;
      const to = i + 1 < this.seen.length ? this.seen[i + 1].at : endMs;
      out[s.phase] = Math.max(0, Math.round((to - from) / 1000));
    });
    return out;
  }
}

/** The order a run goes through its sub-states (the engine stores objects with sorted keys, so state cannot tell). */
const PHASE_ORDER = ["Queued", "Building", "Customizing", "Optimizing", "Validating", "Distributing"];
const rank = (phase: string) => (PHASE_ORDER.includes(phase) ? PHASE_ORDER.indexOf(phase) : PHASE_ORDER.length);

/** Mean seconds per phase over the builds that ran it, in the order a run goes through them. */
function meanPhases(history: PhaseSeconds[]): [string, number][] {
  const phases = [...new Set(history.flatMap((b) => Object.keys(b)))].sort((x, y) => rank(x) - rank(y));
  return phases.map((phase) => {
    const runs = history.filter((b) => b[phase] !== undefined).map((b) => b[phase]);
    return [phase, runs.reduce((a, b) => a + b, 0) / runs.length];
  });
}

/** The expected whole duration (ms), from the history; undefined without one. */
export function expectedTotalMs(history: PhaseSeconds[]): number | undefined {
  if (history.length === 0) return undefined;
  return meanPhases(history).reduce((sum, [, s]) => sum + s, 0) * 1000;
}

/**
 * What is left (ms) of a build in `phase` since `inPhaseMs`: the rest of this phase's mean (none once over it) and the
 * means of the phases after it. Undefined without history, or for a phase the previous builds never ran.
 */
export function expectedLeftMs(history: PhaseSeconds[], phase: string, inPhaseMs: number): number | undefined {
  if (history.length === 0) return undefined;
  const means = meanPhases(history);
  const at = means.findIndex(([p]) => p === phase);
  if (at < 0) return undefined;
  const rest = means.slice(at + 1).reduce((sum, [, s]) => sum + s, 0) * 1000;
  return Math.max(0, means[at][1] * 1000 - inPhaseMs) + rest;
}

/** `12m03s`. */
export function clockText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/** `about 9 min left`, `about 40 s left`; over the estimate, says so rather than counting down below zero. */
export function leftText(ms: number): string {
  if (ms <= 0) return "longer than previous builds";
  return ms < 90_000
    ? `about ${Math.max(1, Math.round(ms / 1000))} s left`
    : `about ${Math.round(ms / 60_000)} min left`;
}

/** How far off the estimate a finished build was: `estimate 19m40s, 1m30s longer`. */
export function estimateError(expectedMs: number, actualMs: number): string {
  const off = actualMs - expectedMs;
  if (Math.abs(off) < 1000) return `estimate ${clockText(expectedMs)}, exact`;
  return `estimate ${clockText(expectedMs)}, ${clockText(Math.abs(off))} ${off > 0 ? "longer" : "shorter"}`;
}
