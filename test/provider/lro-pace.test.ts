/**
 * How the provider paces a long-running operation: the first status poll waits for the Retry-After of the service's
 * initial answer (core-lro alone polls at once, a request too early on every operation), later ones for the
 * Retry-After of each poll. Against the emulator (real SDK over HTTPS) with operations shorter than Retry-After, so
 * one poll that waited finds each done; counted from the emulator's request log, in order.
 *
 * Imports the operations from source (not dist/) so mutation testing sees them.
 */
import assert from "node:assert/strict";
import * as ops from "../../provider/operations";
import { templateArgs } from "../../bench/programs/template-args";
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
    assert.deepEqual(await requestsOf(async () => (outs = (await ops.update(id, outs, retagged)).outs as Bag)), [
      "PATCH template",
      "GET status",
      "GET template",
    ]);
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
});
