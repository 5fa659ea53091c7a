import assert from "node:assert/strict";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator";
import { arm, frozenClock, settle, templateBody, templatePath, type Arm } from "./util";

const HOUR = 3600_000;

describe("emulator: builds, run outputs and autoRun", function () {
  let emu: TestEmulator;
  let a: Arm;
  let sub: string;
  before(async () => {
    emu = await startTestEmulator({ lroDurationMs: 30, buildDurationMs: 900 });
    a = await arm(emu);
    sub = emu.subscriptionId;
  });
  beforeEach(() => emu.admin.reset());
  after(async () => {
    a.close();
    await emu.stop();
  });

  const get = async (name: string) => (await a.request("GET", templatePath(sub, "rg", name))).body;
  const create = async (name: string, properties: Record<string, unknown> = {}) =>
    settle(a, await a.request("PUT", templatePath(sub, "rg", name), templateBody(sub, { properties })));

  /**
   * Steps the emulator's clock (Date, mocked) in increments far shorter than any build state and reads lastRunStatus
   * at each step until the run leaves Running; returns the sub-states seen, in order, each time it changed. As time
   * only moves between reads, a slow machine cannot skip a state. (Far shorter: a step of 10 ms against states of
   * 150 ms.) `start` (under the mocked clock) starts the run.
   */
  async function observeRun(name: string, start: () => Promise<unknown> = async () => undefined) {
    const STEP_MS = 10;
    const clock = frozenClock();
    try {
      await start();
      const seen: string[] = [];
      for (;;) {
        const s = (await get(name)).properties.lastRunStatus;
        if (s !== undefined && s.runState !== "Running") return { seen, final: s };
        if (s?.runState === "Running" && seen.at(-1) !== s.runSubState) seen.push(s.runSubState);
        clock.advance(STEP_MS);
      }
    } finally {
      await clock.release();
    }
  }

  it("walks Queued, Building, Customizing, Optimizing, Validating, Distributing to Succeeded", async () => {
    await create("t", {
      optimize: { vmBoot: { state: "Enabled" } },
      validate: { inVMValidations: [{ type: "Shell", name: "check", inline: ["true"] }] },
    });
    assert.equal((await get("t")).properties.lastRunStatus, undefined);
    let run = { status: 0 } as Awaited<ReturnType<Arm["request"]>>;
    const { seen, final } = await observeRun("t", async () => {
      run = await a.request("POST", templatePath(sub, "rg", "t", "/run"));
    });
    assert.equal(run.status, 202);
    assert.deepEqual(seen, ["Queued", "Building", "Customizing", "Optimizing", "Validating", "Distributing"]);
    assert.equal(final.runState, "Succeeded");
    assert.ok(Date.parse(final.endTime) >= Date.parse(final.startTime));
    assert.equal((await settle(a, run)).status, "Succeeded");
  });

  it("skips Optimizing and Validating when not configured and creates one output per distributor", async () => {
    await create("t", {
      distribute: [
        {
          type: "ManagedImage",
          runOutputName: "mi",
          imageId: "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/images/i",
          location: "westus",
        },
        {
          type: "SharedImage",
          runOutputName: "sig",
          galleryImageId: "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/galleries/g/images/d",
        },
        { type: "VHD", runOutputName: "vhd", uri: "https://acct.blob.core.windows.net/vhds/out.vhd" },
      ],
    });
    const { seen } = await observeRun("t", () => a.request("POST", templatePath(sub, "rg", "t", "/run")));
    assert.deepEqual(seen, ["Queued", "Building", "Customizing", "Distributing"]);
    const outputs = (await a.request("GET", templatePath(sub, "rg", "t", "/runOutputs"))).body.value;
    assert.deepEqual(
      outputs.map((o: { name: string; properties: unknown }) => [o.name, o.properties]),
      [
        [
          "mi",
          {
            provisioningState: "Succeeded",
            artifactId: "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/images/i",
          },
        ],
        [
          "sig",
          {
            provisioningState: "Succeeded",
            artifactId:
              "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/galleries/g/images/d/versions/0.0.1",
          },
        ],
        ["vhd", { provisioningState: "Succeeded", artifactUri: "https://acct.blob.core.windows.net/vhds/out.vhd" }],
      ],
    );
    // A second run produces the next gallery version.
    await settle(a, await a.request("POST", templatePath(sub, "rg", "t", "/run")));
    const sig = await a.request("GET", templatePath(sub, "rg", "t", "/runOutputs/sig"));
    assert.match(sig.body.properties.artifactId, /\/versions\/0\.0\.2$/);
  });

  it("cancels: Canceling, then Canceled; no run outputs", async () => {
    try {
      await create("t");
      // Canceling lasts an operation's time of the emulator's clock: an hour, until the test moves the clock.
      await emu.admin.setTiming({ buildDurationMs: 2 * HOUR, lroDurationMs: HOUR });
      const run = await a.request("POST", templatePath(sub, "rg", "t", "/run"));
      const cancel = await a.request("POST", templatePath(sub, "rg", "t", "/cancel"));
      // The service answers cancel 204 with nothing to follow: the run's state tells when it has stopped.
      assert.equal(cancel.status, 204);
      assert.equal((await get("t")).properties.lastRunStatus.runState, "Canceling");
      await emu.admin.advanceClock(HOUR);
      assert.equal((await get("t")).properties.lastRunStatus.runState, "Canceled");
      assert.equal((await settle(a, run)).status, "Canceled");
      assert.deepEqual((await a.request("GET", templatePath(sub, "rg", "t", "/runOutputs"))).body.value, []);
    } finally {
      await emu.admin.setTiming({ buildDurationMs: 900, lroDurationMs: 30 });
    }
  });

  it("starts a build on create when autoRun is Enabled", async () => {
    await create("auto", { autoRun: { state: "Enabled" } });
    const { final } = await observeRun("auto");
    assert.equal(final.runState, "Succeeded");
    await create("manual", { autoRun: { state: "Disabled" } });
    assert.equal((await get("manual")).properties.lastRunStatus, undefined);
  });
});
