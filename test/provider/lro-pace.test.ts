/**
 * How the provider paces a long-running operation: the first status poll waits for the Retry-After of the service's
 * initial answer (core-lro alone polls at once, a request too early on every operation), later ones for the
 * Retry-After of each poll; without one (the real service sends none), the poll schedule of wait.ts. Against the
 * emulator (real SDK over HTTPS) with operations shorter than Retry-After, so one poll that waited finds each done;
 * counted from the emulator's request log, in order.
 *
 * Imports the operations from source (not dist/) so mutation testing sees them.
 */
import assert from "node:assert/strict";
import * as ops from "../../provider/image-template/operations";
import { connect } from "../../provider/azure/client";
import { nextPauseMs, untilDone } from "../../provider/azure/wait";
import { toImageTemplate } from "../../provider/image-template/mapping";
import type { ImageTemplateInputs } from "../../provider/image-template/codecs/args";
import { templateArgs } from "../fixtures/template-args";
import { emulatorForProvider } from "../helpers/emulator";

type Bag = Record<string, unknown>;
const RG = "rg-pace";
const STATUS = /\/locations\/[^/]+\/operations\/[^/]+$/i;

describe("LRO pacing (source operations against the emulator)", function () {
  this.timeout(60_000);
  const emu = emulatorForProvider({ lroDurationMs: 200, retryAfterSeconds: 1 });

  async function inputs(extra: Bag = {}, olds: Bag = {}): Promise<Bag> {
    const news = templateArgs(emu().subscriptionId, RG, { imageTemplateName: "tpl-pace", ...extra });
    const r = await ops.check(olds, news);
    assert.deepEqual(r.failures ?? [], []);
    return { ...r.inputs, __provider: "serialized" };
  }

  /** The ARM requests `operation` made, as "METHOD template" or "GET status", in order. */
  async function requestsOf(operation: () => Promise<unknown>): Promise<string[]> {
    await emu().admin.clearRequests();
    await operation();
    return (await emu().admin.requests())
      .filter((r) => r.kind === "arm")
      .map((r) => (STATUS.test(r.path) ? `${r.method} status` : `${r.method} template`));
  }

  it("create, update and delete each poll once, after the initial answer's Retry-After", async () => {
    const created = await inputs();
    let outs: Bag = {};
    assert.deepEqual(
      await requestsOf(async () => (outs = (await ops.create(created)).outs as Bag)),
      ["GET template", "PUT template", "GET status", "GET template"],
      "create: the existence check, the PUT, one poll, the final read",
    );
    assert.equal(outs.provisioningState, "Succeeded");
    const id = String(outs.resourceId);

    const retagged = await inputs({ tag: { env: "prod" } }, outs);
    assert.deepEqual(
      await requestsOf(async () => (outs = (await ops.update(id, outs, retagged)).outs as Bag)),
      ["GET template", "PATCH template", "GET status", "GET template"],
      "update: the ownership check, the PATCH, one poll, the final read",
    );
    assert.deepEqual(outs.tag, { env: "prod" });

    assert.deepEqual(await requestsOf(() => ops.$delete(id, outs)), ["GET template", "DELETE template", "GET status"]);
    assert.equal((await emu().admin.state()).templates.length, 0);
  });

  it("keeps following Retry-After when an operation outlasts the first wait", async () => {
    await emu().admin.setTiming({ lroDurationMs: 1500 });
    try {
      const polls = (await requestsOf(async () => ops.create(await inputs()))).filter((r) => r === "GET status");
      assert.equal(polls.length, 2, "one poll after 1 s finds it running, the next after another 1 s finds it done");
    } finally {
      await emu().admin.setTiming({ lroDurationMs: 200 });
    }
  });

  it("follows a Retry-After that changes from one poll to the next (core-lro's polls take no onResponse)", async () => {
    await emu().admin.setTiming({ lroDurationMs: 3000 });
    const body = toImageTemplate((await inputs()) as unknown as ImageTemplateInputs);
    const c = connect(emu().subscriptionId);
    let asked: Promise<unknown> | undefined;
    try {
      const polls = (
        await requestsOf(() =>
          untilDone(
            c,
            (options) => c.client.virtualMachineImageTemplates.createOrUpdate(RG, "tpl-pace", body, options),
            // From now on every status answer asks for 4 s: the poll at 1 s (still running) says so.
            () => void (asked = emu().admin.setTiming({ retryAfterSeconds: 4 })),
          ),
        )
      ).filter((r) => r === "GET status");
      await asked;
      assert.equal(polls.length, 2, "the poll at 1 s finds it running and asks for 4 s; the next finds it done");
    } finally {
      await emu().admin.setTiming({ lroDurationMs: 200, retryAfterSeconds: 1 });
    }
  });

  it("without Retry-After, polls at the schedule's pace, slower as the operation goes on", async () => {
    await emu().admin.setTiming({ lroDurationMs: 4000, retryAfterSeconds: 0 });
    try {
      await emu().admin.clearRequests();
      await ops.create(await inputs());
      const log = (await emu().admin.requests()).filter((r) => r.kind === "arm");
      const put = Date.parse(log.find((r) => r.method === "PUT")!.time);
      const polls = log.filter((r) => STATUS.test(r.path)).map((r) => Date.parse(r.time));
      const interval = Number(emu().env.AZURE_IMAGEBUILDER_POLL_INTERVAL_MS);
      // The wait began before the PUT and the schedule never quickens: each pause is at least the schedule's for the
      // time since the PUT (1 ms for timers rounding).
      for (const [i, at] of polls.entries()) {
        const previous = i === 0 ? put : polls[i - 1];
        const least = nextPauseMs(previous - put, interval);
        assert.ok(at - previous >= least - 1, `poll ${i + 1}: ${at - previous} ms after the last request, < ${least}`);
      }
      const slowed = polls.filter((_, i) => i > 0 && nextPauseMs(polls[i - 1] - put, interval) > interval);
      assert.ok(slowed.length > 0, "polls went on past the schedule's first step (30 s, scaled)");
    } finally {
      await emu().admin.setTiming({ lroDurationMs: 200, retryAfterSeconds: 1 });
    }
  });
});
