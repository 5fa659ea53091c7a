import assert from "node:assert/strict";
import { retryAfterMs } from "../../provider/azure/client";

describe("retryAfterMs (the wait before an LRO's first poll)", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");

  it("reads delay-seconds, fractional ones too", () => {
    assert.equal(retryAfterMs("1", now), 1000);
    assert.equal(retryAfterMs("30", now), 30_000);
    assert.equal(retryAfterMs("0.5", now), 500);
  });

  it("reads an HTTP date as the time left until it", () => {
    assert.equal(retryAfterMs("Thu, 01 Jan 2026 00:00:05 GMT", now), 5000);
  });

  it("is 0 (poll at once) when absent, past, zero or unreadable", () => {
    for (const header of [undefined, null, "", "0", "-3", "soon", "Wed, 31 Dec 2025 23:59:00 GMT"]) {
      assert.equal(retryAfterMs(header, now), 0, String(header));
    }
  });
});
