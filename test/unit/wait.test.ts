import assert from "node:assert/strict";
import { mock } from "node:test";
import { deadlineIn, nextPauseMs, Pace, Poller, retryAfterMs, type ResponseHeaders } from "../../provider/azure/wait";

/** Lets the promise callbacks run that the (fake) timers released. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
const answering = (retryAfter?: string): ResponseHeaders => ({
  headers: { get: (name) => (name.toLowerCase() === "retry-after" ? retryAfter : undefined) },
});

/** A fake status read: "running" with the given Retry-After headers in turn, then "done"; counts its calls. */
function statusReads(...retryAfters: (string | undefined)[]) {
  const reads = { count: 0 };
  const read = async (onResponse: (r: ResponseHeaders) => void) => {
    const index = reads.count++;
    if (index >= retryAfters.length) return "done";
    onResponse(answering(retryAfters[index]));
    return "running";
  };
  return { reads, read };
}

const done = (state: string) => state === "done";

describe("Retry-After (RFC 9110: delay-seconds or HTTP-date)", () => {
  const now = Date.UTC(2026, 10, 30, 12, 0, 0);

  it("reads delay-seconds", () => {
    assert.equal(retryAfterMs("3"), 3000);
    assert.equal(retryAfterMs(" 120 "), 120_000);
    assert.equal(retryAfterMs("0"), 0);
  });

  it("reads an HTTP-date in each of its three forms, counted from now, never negative", () => {
    assert.equal(retryAfterMs("Mon, 30 Nov 2026 12:00:07 GMT", now), 7000);
    assert.equal(retryAfterMs("Monday, 30-Nov-26 12:00:09 GMT", now), 9000);
    assert.equal(retryAfterMs("Mon Nov 30 12:01:00 2026", now + new Date(now).getTimezoneOffset() * 60_000), 60_000);
    assert.equal(retryAfterMs("Mon, 30 Nov 2026 11:59:00 GMT", now), 0);
  });

  it("ignores what is neither", () => {
    for (const header of [undefined, null, "", "soon", "1.5", "-3", "30 Nov 2026"]) {
      assert.equal(retryAfterMs(header, now), undefined, String(header));
    }
  });
});

describe("Pace and Poller", () => {
  afterEach(() => mock.timers.reset());

  /** Read times of a poller (never done; it goes on reading), the clock ticked in `stepMs` steps up to `untilMs`. */
  async function readTimes(intervalMs: number, untilMs: number, stepMs: number, answers?: (p: Pace) => void) {
    const times: number[] = [];
    const poller = new Poller(intervalMs, { read: async () => void times.push(Date.now()) });
    answers?.(poller);
    void poller.until(() => false);
    for (let t = 0; t <= untilMs; t += stepMs) {
      await settle();
      mock.timers.tick(stepMs);
    }
    return times;
  }

  for (const [intervalMs, stepMs] of [
    [2000, 1000],
    [50, 25],
  ]) {
    it(`without Retry-After, follows the schedule from its start (AZURE_IMAGEBUILDER_POLL_INTERVAL_MS ${intervalMs})`, async () => {
      mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 });
      const scale = intervalMs / 2000;
      const times = await readTimes(intervalMs, 6 * 60_000 * scale, stepMs);
      assert.equal(times[0], 0, "the first read at once");
      const gaps = times.slice(1).map((t, i) => [times[i] / scale, (t - times[i]) / scale]);
      for (const [at, gap] of gaps)
        assert.equal(gap, nextPauseMs(at), `pause after the read at ${at} ms (default time)`);
      const distinct = [...new Set(gaps.map(([, gap]) => gap))];
      assert.deepEqual(distinct, [2000, 5000, 8000, 30_000], "each step of the schedule taken in turn");
    });
  }

  it("a Retry-After wins over the schedule at any time: after 5 minutes, 3 s apart instead of 30 s", async () => {
    mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 });
    let pace: Pace | undefined;
    const times = await readTimes(2000, 5 * 60_000, 1000, (p) => (pace = p));
    pace!.onResponse(answering("3"));
    const asked = times.length;
    for (let s = 0; s < 60; s++) {
      await settle();
      mock.timers.tick(1000);
    }
    await settle();
    // The pause under way when asked ends as scheduled; every later one is the service's.
    const gaps = times.slice(asked).map((t, i) => t - times[asked - 1 + i]);
    assert.ok(gaps.length >= 10, `${gaps.length} reads in the minute after`);
    assert.deepEqual(gaps.slice(1), Array(gaps.length - 1).fill(3000));
  });

  it("pauses for the Retry-After seconds a read answers with, instead of the schedule's", async () => {
    mock.timers.enable({ apis: ["setTimeout"] });
    const { reads, read } = statusReads("5");
    const result = new Poller(1000, { read }).until(done);
    await settle();
    assert.equal(reads.count, 1);
    mock.timers.tick(4999);
    await settle();
    assert.equal(reads.count, 1, "no read before the 5 s the service asked for");
    mock.timers.tick(1);
    assert.equal(await result, "done");
    assert.equal(reads.count, 2);
  });

  it("pauses until the HTTP-date a read answers with", async () => {
    const now = Date.UTC(2026, 10, 30, 12, 0, 0);
    mock.timers.enable({ apis: ["setTimeout", "Date"], now });
    const { reads, read } = statusReads(new Date(now + 7000).toUTCString());
    const result = new Poller(1000, { read }).until(done);
    await settle();
    mock.timers.tick(6999);
    await settle();
    assert.equal(reads.count, 1);
    mock.timers.tick(1);
    assert.equal(await result, "done");
    assert.equal(reads.count, 2);
  });

  it("keeps the schedule's pace without a positive Retry-After, and keeps an adopted pace for later reads", async () => {
    mock.timers.enable({ apis: ["setTimeout"] });
    const { reads, read } = statusReads(undefined, "0", "2", undefined);
    const result = new Poller(1000, { read }).until(done);
    const expected = [1, 2, 3, 3, 4, 4, 5];
    for (const [step, count] of expected.entries()) {
      await settle();
      assert.equal(reads.count, count, `after ${step} s`);
      mock.timers.tick(1000);
    }
    assert.equal(await result, "done");
  });

  it("pauses exactly the schedule's first pause when a read asks for none, or for 0 s", async () => {
    for (const retryAfter of [undefined, "0"]) {
      mock.timers.enable({ apis: ["setTimeout"] });
      const { reads, read } = statusReads(retryAfter);
      const result = new Poller(1000, { read }).until(done);
      await settle();
      mock.timers.tick(999);
      await settle();
      assert.equal(reads.count, 1, `no read before the first pause (Retry-After ${retryAfter})`);
      mock.timers.tick(1);
      assert.equal(await result, "done");
      mock.timers.reset();
    }
  });

  it("without transient failures to tolerate, fails with the read's own error", async () => {
    const failure = new Error("the service is down");
    await assert.rejects(
      new Poller(1000, { read: () => Promise.reject<string>(failure) }).until(done),
      (e) => e === failure,
    );
  });

  it("takes a pace from another call's response (the run that started what it waits for)", async () => {
    mock.timers.enable({ apis: ["setTimeout"] });
    const pace = new Pace(1000);
    pace.onResponse(answering("3"));
    let paused = false;
    void pace.pause().then(() => (paused = true));
    mock.timers.tick(2999);
    await settle();
    assert.equal(paused, false);
    mock.timers.tick(1);
    await settle();
    assert.equal(paused, true);
  });

  it("stops at once when aborted during a pause: no read follows", async () => {
    mock.timers.enable({ apis: ["setTimeout"] });
    const { reads, read } = statusReads("60", "60", "60");
    const deadline = new AbortController();
    const result = new Poller(1000, { read }).until(done, deadline.signal);
    await settle();
    deadline.abort();
    assert.equal(await result, undefined);
    mock.timers.tick(600_000);
    await settle();
    assert.equal(reads.count, 1);
  });

  it("does not read at all once aborted", async () => {
    const { reads, read } = statusReads();
    assert.equal(await new Poller(1000, { read }).until(done, AbortSignal.abort()), undefined);
    assert.equal(reads.count, 0);
  });

  it("tells onProgress of what until reads, not of a read on its own", async () => {
    const seen: string[] = [];
    const poller = new Poller(10, { read: async () => "done", onProgress: (s) => void seen.push(s) });
    assert.equal(await poller.read(), "done");
    assert.deepEqual(seen, []);
    assert.equal(await poller.until(done), "done");
    assert.deepEqual(seen, ["done"]);
  });

  it("reports each read, the last one included", async () => {
    mock.timers.enable({ apis: ["setTimeout"] });
    const { read } = statusReads(undefined);
    const seen: string[] = [];
    const result = new Poller(10, { read, onProgress: (s) => void seen.push(s) }).until(done);
    await settle();
    mock.timers.tick(10);
    await result;
    assert.deepEqual(seen, ["running", "done"]);
  });

  describe("transient read failures", () => {
    const flaky = (failures: number, error: Error) => {
      let calls = 0;
      return {
        calls: () => calls,
        read: async () => {
          if (calls++ < failures) throw error;
          return "done";
        },
      };
    };
    const transient = (retried: unknown[]) => ({
      is: (e: unknown) => (e as Error).message === "503",
      max: 2,
      onRetry: (e: unknown) => void retried.push(e),
    });

    it("retries up to the tolerated count at the current pace, telling each", async () => {
      mock.timers.enable({ apis: ["setTimeout"] });
      const retried: unknown[] = [];
      const fake = flaky(2, new Error("503"));
      const result = new Poller(100, { read: fake.read, transient: transient(retried) }).until(done);
      await settle();
      assert.equal(fake.calls(), 1);
      mock.timers.tick(100);
      await settle();
      assert.equal(fake.calls(), 2);
      mock.timers.tick(100);
      assert.equal(await result, "done");
      assert.equal(retried.length, 2);
    });

    it("fails on one failure more than tolerated, or at once on a failure that is not transient", async () => {
      mock.timers.enable({ apis: ["setTimeout"] });
      const tooMany = flaky(3, new Error("503"));
      const failing = assert.rejects(new Poller(100, { read: tooMany.read, transient: transient([]) }).read(), /503/);
      for (let i = 0; i < 3; i++) {
        await settle();
        mock.timers.tick(100);
      }
      await failing;
      assert.equal(tooMany.calls(), 3);
      const fatal = flaky(1, new Error("400"));
      await assert.rejects(new Poller(100, { read: fatal.read, transient: transient([]) }).read(), /400/);
      assert.equal(fatal.calls(), 1);
    });

    it("reports the failure that ends a read as `failure` names it, after the transient ones were retried", async () => {
      mock.timers.enable({ apis: ["setTimeout"] });
      let calls = 0;
      const read = async () => {
        throw new Error(calls++ === 0 ? "503" : "400");
      };
      const failure = (e: unknown) => new Error(`reading the state failed: ${(e as Error).message}`, { cause: e });
      const failing = assert.rejects(new Poller(100, { read, transient: transient([]), failure }).until(done), (e) => {
        assert.equal((e as Error).message, "reading the state failed: 400");
        return true;
      });
      await settle();
      mock.timers.tick(100);
      await failing;
      assert.equal(calls, 2);
    });
  });
});

describe("deadlineIn (the waits' deadline)", () => {
  it("takes a fraction of a minute (AbortSignal.timeout refuses a fraction of a millisecond)", () => {
    // 0.1 * 60_000 is 6000.000000000001; 2036 ms left of a customTimeouts, as minutes and back, is 2036.0000000000002.
    for (const minutes of [0.1, 2036 / 60_000, 0.07]) assert.equal(deadlineIn(minutes).aborted, false, String(minutes));
  });

  it("is not yet over for a wait longer than Node.js keeps a timer (which would fire at once)", async () => {
    const signal = deadlineIn(100_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(signal.aborted, false);
  });
});
