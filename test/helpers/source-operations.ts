import assert from "node:assert/strict";
import * as ops from "../../provider/image-template/operations";
import { templateArgs } from "../fixtures/template-args";
import { emulatorForProvider, type TestEmulator } from "./emulator";

type Bag = Record<string, unknown>;

/**
 * Mocha hooks and helpers for a suite that calls the operations from source (so mutation testing sees them) against
 * an emulator, with templates in resource group `rg`.
 */
export function sourceOperationsSuite(rg: string) {
  const emu: () => TestEmulator = emulatorForProvider();
  const armRequests = async () => (await emu().admin.requests()).filter((r) => r.kind === "arm");
  const liveTemplates = async () => (await emu().admin.state()).templates as Bag[];
  return {
    emu,
    /** Checked inputs as the engine hands them to create/update (with __provider put back). */
    async inputs(name: string, extra: Bag = {}, olds: Bag = {}): Promise<Bag> {
      const news = { ...templateArgs(emu().subscriptionId, rg, { imageTemplateName: name, ...extra }) };
      const r = await ops.check(olds, news);
      assert.deepEqual(r.failures ?? [], []);
      return { ...r.inputs, __provider: "serialized" };
    },
    armRequests,
    /** The methods of the ARM requests that change something, in order. */
    writes: async () => (await armRequests()).filter((r) => r.method !== "GET").map((r) => r.method),
    liveTemplates,
    /** Waits (bounded by the test's timeout) until the emulator reports template `name`'s build in `runState`. */
    async buildReaches(name: string, runState: string): Promise<void> {
      for (;;) {
        const live = (await liveTemplates()).find((t) => t.name === name)?.properties as Bag | undefined;
        if ((live?.lastRunStatus as Bag | undefined)?.runState === runState) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    /** Runs `fn` with other emulator timing, restoring the suite's afterwards. */
    async withTiming<T>(timing: { lroDurationMs?: number; buildDurationMs?: number }, fn: () => Promise<T>) {
      const before = await emu().admin.setTiming({});
      await emu().admin.setTiming(timing);
      try {
        return await fn();
      } finally {
        await emu().admin.setTiming(before);
      }
    },
  };
}
