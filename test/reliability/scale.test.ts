/**
 * One `pulumi up` of 50 templates while the emulator throttles creates, operation polls and deletes: every template
 * must be created (none lost, none duplicated), the state must hold no credential, and destroy must leave nothing.
 */
import assert from "node:assert/strict";
import { ENSURE_TIMEOUT_MS, pulumiBinDir } from "../e2e/helpers/engine";
import { leakedCredentials, startFleet, type Fleet } from "./fleet";
import { recordFigure, suiteCommand } from "./summary";

const SIZE = 50;

describe("reliability: 50 templates in one up while ARM throttles", function () {
  this.timeout(5 * 60_000);
  let fleet: Fleet;

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    await pulumiBinDir();
    fleet = await startFleet("scale", SIZE);
  });
  after(async () => {
    await fleet?.tearDown();
  });

  const held = async () =>
    (await fleet.emulator.admin.state()).templates as { name: string; properties: { provisioningState: string } }[];
  const throttled = async () => (await fleet.emulator.admin.requests()).filter((e) => e.status === 429).length;

  it("creates all 50 and destroys them, riding out every 429", async () => {
    const admin = fleet.emulator.admin;
    await admin.injectFault({
      method: "PUT",
      path: "/imageTemplates/",
      kind: "throttle",
      count: 40,
      retryAfterSeconds: 1,
    });
    await admin.injectFault({ method: "GET", path: "/operations/", kind: "throttle", count: 40, retryAfterSeconds: 1 });
    // 10 steps at a time: 40 throttles per route stay within the retry budget (6) of each request.
    await fleet.pulumi(["up", "--yes", "--skip-preview", "--parallel", "10"]);
    const created = await held();
    const names = created.map((t) => t.name);
    const throttledUp = await throttled();
    const raw = await fleet.rawState();
    const leaks = leakedCredentials(raw, fleet.emulator);

    await admin.clearRequests();
    await admin.injectFault({
      method: "DELETE",
      path: "/imageTemplates/",
      kind: "throttle",
      count: 40,
      retryAfterSeconds: 1,
    });
    await fleet.pulumi(["destroy", "--yes", "--skip-preview", "--parallel", "10"]);
    const left = (await held()).length;
    const throttledDestroy = await throttled();

    recordFigure("scale", {
      label: `One up of ${SIZE} templates under throttling: created / duplicated / 429s ridden out (up + destroy) / left after destroy`,
      value: `${names.length} / ${names.length - new Set(names).size} / ${throttledUp} + ${throttledDestroy} / ${left}`,
      expected: `${SIZE} / 0 / >0 / 0`,
      command: suiteCommand("scale.test.ts"),
    });
    recordFigure("scale-state", {
      label: `Credential strings / plaintext secrets in the raw state after the ${SIZE}-template up`,
      value: leaks.length,
      expected: 0,
      command: suiteCommand("scale.test.ts"),
    });
    assert.equal(names.length, SIZE);
    assert.equal(new Set(names).size, SIZE);
    for (const t of created) assert.equal(t.properties.provisioningState, "Succeeded");
    assert.equal(throttledUp, 80, "every injected 429 was met and retried");
    assert.deepEqual(leaks, []);
    assert.match(raw, /"ciphertext"/, "the secret customizer lines are stored encrypted");
    assert.equal(throttledDestroy, 40);
    assert.equal(left, 0);
  });
});
