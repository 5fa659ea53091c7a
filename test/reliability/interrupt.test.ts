/**
 * SIGKILL the engine (the `pulumi` CLI with its language host, program and provider plugin) while `pulumi up` creates
 * 20 templates, then recover the way RELIABILITY.md tells users to:
 *   pulumi cancel; pulumi refresh --clear-pending-creates; pulumi up   (no adoptExisting: the ownership marker)
 * The emulator must end with exactly 20 templates, none duplicated, none lost, each one recorded in the state.
 */
import assert from "node:assert/strict";
import { ENSURE_TIMEOUT_MS, pulumiBinDir } from "../e2e/helpers/engine";
import { leakedCredentials, startFleet, type Fleet } from "./fleet";
import { recordFigure, suiteCommand } from "./summary";

const SIZE = 20;
const TEMPLATE_TYPE = "pulumi-nodejs:dynamic/azure-imagebuilder:ImageTemplate";

interface Checkpoint {
  deployment: {
    resources?: { urn: string; type: string; id?: string; outputs?: Record<string, unknown> }[];
    pending_operations?: { type: string; resource: { urn: string; type: string; inputs: Record<string, unknown> } }[];
  };
}

describe("reliability: pulumi up killed mid-way", function () {
  this.timeout(5 * 60_000);
  let fleet: Fleet;

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    await pulumiBinDir();
    fleet = await startFleet("interrupted", SIZE);
  });
  after(async () => {
    await fleet?.tearDown();
  });

  const held = async () =>
    (await fleet.emulator.admin.state()).templates as { name: string; properties: { provisioningState: string } }[];
  const exported = async () => JSON.parse((await fleet.pulumi(["stack", "export"])).stdout) as Checkpoint;
  const inState = (cp: Checkpoint) => (cp.deployment.resources ?? []).filter((r) => r.type === TEMPLATE_TYPE);
  const pendingCreates = (cp: Checkpoint) =>
    (cp.deployment.pending_operations ?? []).filter((p) => p.type === "creating" && p.resource.type === TEMPLATE_TYPE);
  it("converges to exactly 20 templates after SIGKILL: cancel, refresh --clear-pending-creates, up", async () => {
    // 1. Kill the engine's whole process group once 8 creates reached Azure (4 at a time: the first 4 done, the next 4
    //    in flight, held until the kill; then they end in Azure).
    await fleet.holdOperations();
    const run = fleet.start("up", ["--parallel", "4", "--skip-preview"]);
    await fleet.inFlightAfter(run, "PUT", 8, 4);
    await run.kill();
    await fleet.releaseOperations();
    assert.equal(await run.exited, null, "the engine was killed, it did not finish");
    const killed = await exported();
    const pending = pendingCreates(killed);
    const madeByKilledRun = (await held()).map((t) => t.name);
    assert.ok(pending.length > 0, "some creates were in flight when the engine died");
    assert.ok(madeByKilledRun.length < SIZE, "the killed run did not finish the fleet");
    // Every template Azure holds is either recorded or named by a pending create: nothing is untraceable.
    const traceable = new Set([
      ...inState(killed).map((r) => String(r.outputs?.imageTemplateName)),
      ...pending.map((p) => String(p.resource.inputs.imageTemplateName)),
    ]);
    for (const name of madeByKilledRun) assert.ok(traceable.has(name), `${name} is an untraceable orphan`);

    // 2. The file backend's lock outlives the killed process.
    const locked = await fleet.pulumi(["up", "--yes", "--skip-preview"], true);
    assert.notEqual(locked.code, 0);
    assert.match(locked.stdout + locked.stderr, /currently locked/);
    await fleet.pulumi(["cancel", "--yes"]);

    // 3. Repair: drop the pending creates (`refresh --clear-pending-creates`), then `up`. Autonames are deterministic
    //    (project, stack, resource name and arguments), so up meets the templates the killed run made under the same
    //    names and, as their ownership marker names the same resources, takes them over instead of duplicating them;
    //    it creates the rest.
    await fleet.pulumi(["refresh", "--yes", "--skip-preview", "--clear-pending-creates"]);
    assert.deepEqual(pendingCreates(await exported()), []);
    const repaired = await fleet.pulumi(["up", "--yes", "--skip-preview"]);
    assert.match(repaired.stdout, new RegExp(`${SIZE - inState(killed).length} created`));

    // 5. Exactly 20: unique, provisioned, and the same 20 the state records.
    const final = await held();
    const names = final.map((t) => t.name).sort();
    const recorded = inState(await exported())
      .map((r) => String(r.outputs?.imageTemplateName))
      .sort();
    const duplicates = names.length - new Set(names).size;
    const orphans = names.filter((n) => !recorded.includes(n)).length;
    const lost = recorded.filter((n) => !names.includes(n)).length;
    recordFigure("interrupt", {
      label: `Templates after SIGKILL mid-up of ${SIZE} (${pending.length} creates in flight) and recovery: held / duplicated / orphaned / lost`,
      value: `${names.length} / ${duplicates} / ${orphans} / ${lost}`,
      expected: `${SIZE} / 0 / 0 / 0`,
      command: suiteCommand("interrupt.test.ts"),
    });
    assert.equal(names.length, SIZE);
    assert.deepEqual([duplicates, orphans, lost], [0, 0, 0]);
    for (const t of final) assert.equal(t.properties.provisioningState, "Succeeded");
    assert.equal(new Set(names.map((n) => n.replace(/-[0-9a-f]+$/, ""))).size, SIZE, "one template per resource");
    await fleet.pulumi(["preview", "--expect-no-changes"]);

    const leaks = leakedCredentials(await fleet.rawState(), fleet.emulator);
    recordFigure("interrupt-state", {
      label: "Credential strings / plaintext secrets in the raw state after the interrupted run",
      value: leaks.length,
      expected: 0,
      command: suiteCommand("interrupt.test.ts"),
    });
    assert.deepEqual(leaks, []);
  });
});
