/** The emulator's long-running operations, as ARM describes them: status monitor, headers, outcome, retention. */
import assert from "node:assert/strict";
import { lroHeaders, newOperation, operationStatus, prunable, type NewOperation } from "../../emulator/lro";

const NOW = Date.parse("2026-01-01T00:00:00Z");
const MINUTE = 60_000;
const RETENTION = 15 * MINUTE;
const TEMPLATE_ID = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.VirtualMachineImages/imageTemplates/t";
const op = (extra: Partial<NewOperation> = {}): NewOperation => ({
  template: { id: TEMPLATE_ID, subscriptionId: "sub", location: "westus" },
  now: NOW,
  durationMs: 1000,
  ...extra,
});

describe("emulator: long-running operations", () => {
  it("is InProgress until its completion time, then reports its outcome and end time", () => {
    const o = newOperation(op({ outcome: "Failed", error: { code: "BuildFailed", message: "m" } }));
    const running = operationStatus(o, NOW + 999);
    assert.equal(running.status, "InProgress");
    assert.equal("endTime" in running, false);
    assert.equal("error" in running, false, "no error while running");
    const done = operationStatus(o, NOW + 1000);
    assert.equal(done.status, "Failed");
    assert.equal(done.endTime, new Date(NOW + 1000).toISOString());
    assert.deepEqual(done.error, { code: "BuildFailed", message: "m" });
    assert.equal(done.startTime, new Date(NOW).toISOString());
  });

  it("succeeds by default and then carries no error member", () => {
    const o = newOperation(op());
    assert.equal("error" in o, false);
    const done = operationStatus(o, NOW + 5000);
    assert.equal(done.status, "Succeeded");
    assert.equal("error" in done, false);
  });

  it("names the status monitor in Azure-AsyncOperation, and in Location only when asked; Retry-After only when set", () => {
    const o = newOperation(op());
    const monitor = `https://emu/subscriptions/sub/providers/Microsoft.VirtualMachineImages/locations/westus/operations/${o.id}?api-version=2025-10-01`;
    assert.deepEqual(lroHeaders("https://emu", o, 3, false), { "Azure-AsyncOperation": monitor, "Retry-After": "3" });
    // "No AIB answer in 253 recorded exchanges (2020-2025) carries Retry-After": 0 (the default) sends none.
    assert.deepEqual(lroHeaders("https://emu", o, 0, true), { "Azure-AsyncOperation": monitor, Location: monitor });
    assert.deepEqual(lroHeaders("https://emu", o, 0, false), { "Azure-AsyncOperation": monitor });
  });

  it("answers exactly name (the GUID in upper case), status, startTime, endTime once done, error {code, message}", () => {
    const o = newOperation(
      op({ outcome: "Failed", error: { code: "Unauthorized", message: "m", details: [] } as never }),
    );
    assert.deepEqual(operationStatus(o, NOW), {
      name: o.id.toUpperCase(),
      status: "InProgress",
      startTime: new Date(NOW).toISOString(),
    });
    assert.deepEqual(operationStatus(o, NOW + 1000), {
      name: o.id.toUpperCase(),
      status: "Failed",
      startTime: new Date(NOW).toISOString(),
      endTime: new Date(NOW + 1000).toISOString(),
      error: { code: "Unauthorized", message: "m" },
    });
    assert.match(o.id, /^[0-9a-f-]{36}$/, "a GUID, kept in lower case in the monitor URL");
  });

  it("lives in the template's subscription and location, keyed by the resource it acts on", () => {
    const o = newOperation(op());
    assert.deepEqual([o.subscriptionId, o.location, o.resourceKey], ["sub", "westus", TEMPLATE_ID.toLowerCase()]);
    const trigger = `${TEMPLATE_ID}/triggers/Source`;
    assert.equal(newOperation(op({ resourceId: trigger })).resourceKey, trigger.toLowerCase());
  });

  describe("retention", () => {
    /** `count` operations that completed `age` ms before NOW. */
    const finished = (count: number, age: number) =>
      Array.from({ length: count }, () => newOperation(op({ now: NOW - age - 1000, durationMs: 1000 })));

    it("forgets none while fewer than 500 are held", () => {
      assert.deepEqual(prunable(finished(499, RETENTION + MINUTE), NOW), []);
    });

    it("from 500 held, forgets those completed more than 15 minutes ago and keeps the others", () => {
      const old = finished(499, RETENTION + MINUTE);
      const recent = newOperation(op({ now: NOW - RETENTION - 1000, durationMs: 1000 })); // exactly 15 min
      assert.deepEqual(prunable([...old, recent], NOW), old);
    });
  });
});
