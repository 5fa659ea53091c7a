/** The emulator's long-running operations, as ARM describes them: status monitor, headers, outcome, retention. */
import assert from "node:assert/strict";
import { lroHeaders, operationStatus, startOperation, type NewOperation } from "../../emulator/lro";
import type { EmulatorState, OperationRecord } from "../../emulator/model";

const NOW = Date.parse("2026-01-01T00:00:00Z");
const MINUTE = 60_000;
const RETENTION = 15 * MINUTE;
const newState = () => ({ operations: {} as Record<string, OperationRecord> }) as unknown as EmulatorState;
const op = (extra: Partial<NewOperation> = {}): NewOperation => ({
  subscriptionId: "sub",
  location: "westus",
  resourceKey: "/subscriptions/sub/resourcegroups/rg/providers/microsoft.virtualmachineimages/imagetemplates/t",
  now: NOW,
  durationMs: 1000,
  ...extra,
});

describe("emulator: long-running operations", () => {
  it("is InProgress until its completion time, then reports its outcome and end time", () => {
    const o = startOperation(newState(), op({ outcome: "Failed", error: { code: "BuildFailed", message: "m" } }));
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
    const o = startOperation(newState(), op());
    assert.equal("error" in o, false);
    const done = operationStatus(o, NOW + 5000);
    assert.equal(done.status, "Succeeded");
    assert.equal("error" in done, false);
  });

  it("names the status monitor in Azure-AsyncOperation, and in Location only when asked; Retry-After only when set", () => {
    const o = startOperation(newState(), op());
    const monitor = `https://emu/subscriptions/sub/providers/Microsoft.VirtualMachineImages/locations/westus/operations/${o.id}?api-version=2025-10-01`;
    assert.deepEqual(lroHeaders("https://emu", o, 3, false), { "Azure-AsyncOperation": monitor, "Retry-After": "3" });
    // "No AIB answer in 253 recorded exchanges (2020-2025) carries Retry-After": 0 (the default) sends none.
    assert.deepEqual(lroHeaders("https://emu", o, 0, true), { "Azure-AsyncOperation": monitor, Location: monitor });
    assert.deepEqual(lroHeaders("https://emu", o, 0, false), { "Azure-AsyncOperation": monitor });
  });

  it("answers exactly name (the GUID in upper case), status, startTime, endTime once done, error {code, message}", () => {
    const o = startOperation(
      newState(),
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

  describe("retention", () => {
    /** A state holding `count` operations that completed `age` ms before NOW. */
    function stateWith(count: number, age: number): EmulatorState {
      const state = newState();
      for (let i = 0; i < count; i++) startOperation(state, op({ now: NOW - age - 1000, durationMs: 1000 }));
      return state;
    }

    it("keeps every operation while fewer than 500 are held", () => {
      const state = stateWith(499, RETENTION + MINUTE);
      startOperation(state, op());
      assert.equal(Object.keys(state.operations).length, 500);
    });

    it("from 500 held, drops those completed more than 15 minutes ago and keeps the others", () => {
      const state = stateWith(499, RETENTION + MINUTE);
      const recent = startOperation(state, op({ now: NOW - RETENTION - 1000, durationMs: 1000 })); // exactly 15 min
      const fresh = startOperation(state, op());
      assert.deepEqual(Object.keys(state.operations).sort(), [recent.id, fresh.id].sort());
    });
  });
});
