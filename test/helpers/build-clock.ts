/**
 * Builds moved on by the emulator's clock while the provider waits for them, never by this machine's timing: once
 * `started()` holds, the clock moves `stepMs` on each time the provider has read (GET) every template whose build is
 * running since the last move. Each step of a build is then read once at least, however slow the machine is.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { RunningEmulator } from "../../emulator";

/** Status reads (GET of a template) so far, by template name. */
async function readsByTemplate(emulator: RunningEmulator): Promise<Map<string, number>> {
  const reads = new Map<string, number>();
  for (const e of await emulator.admin.requests()) {
    const name = /\/imageTemplates\/([^/]+)$/i.exec(e.path)?.[1];
    if (e.method === "GET" && name) reads.set(name, (reads.get(name) ?? 0) + 1);
  }
  return reads;
}

/** Templates whose build is running, by name. */
export async function runningBuilds(emulator: RunningEmulator): Promise<string[]> {
  return (await emulator.admin.state()).templates
    .filter((t) => (t.properties as { lastRunStatus?: { runState?: string } }).lastRunStatus?.runState === "Running")
    .map((t) => String(t.name));
}

/**
 * Starts moving `emulator`'s clock as above; `started` (by default: a build is running) says when the builds to follow
 * have begun. `stop()` ends it. The request log is read every 50 ms: a poll for the provider's reads, not a wait.
 */
export function stepBuildsOnReads(
  emulator: RunningEmulator,
  stepMs: number,
  started: () => Promise<boolean> = async () => (await runningBuilds(emulator)).length > 0,
): { stop(): Promise<void> } {
  let done = false;
  const loop = (async () => {
    let seen: Map<string, number> | undefined;
    while (!done) {
      if (seen === undefined) {
        if (await started()) seen = await readsByTemplate(emulator);
      } else {
        const reads = await readsByTemplate(emulator);
        const since = seen;
        if ((await runningBuilds(emulator)).every((n) => (reads.get(n) ?? 0) > (since.get(n) ?? 0))) {
          await emulator.admin.advanceClock(stepMs);
          seen = reads;
        }
      }
      await delay(50);
    }
  })();
  return {
    async stop() {
      done = true;
      await loop;
    },
  };
}
