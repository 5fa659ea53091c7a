/**
 * kill -9 of the provider host alone (the dynamic-provider process `pulumi-resource-pulumi-nodejs` runs) while
 * `pulumi up` creates N templates: the CLI survives, the in-flight creates fail, and templates made by them exist in
 * Azure without being recorded. One plain `pulumi up` must then converge by itself (no adoptExisting, no refresh):
 * the ownership marker lets each resource take back the template it made. Measured for N = 8 and N = 20.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import { setTimeout as delay } from "node:timers/promises";
import { ENSURE_TIMEOUT_MS, pulumiBinDir } from "../e2e/helpers/engine";
import { startFleet, type Fleet } from "./fleet";
import { recordFigure, suiteCommand } from "./summary";

const TEMPLATE_TYPE = "pulumi-nodejs:dynamic/azure-imagebuilder:ImageTemplate";

/** Descendants of `root` whose command line runs Pulumi's dynamic provider host (read from /proc). */
async function providerHosts(root: number): Promise<number[]> {
  const parents = new Map<number, number>();
  const commands = new Map<number, string>();
  for (const entry of await fs.readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await fs.readFile(`/proc/${entry}/stat`, "utf8");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
      commands.set(Number(entry), (await fs.readFile(`/proc/${entry}/cmdline`, "utf8")).replace(/\0/g, " "));
    } catch {
      // the process exited meanwhile
    }
  }
  const descends = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) if (p === root) return true;
    return false;
  };
  return [...commands].filter(([pid, cmd]) => cmd.includes("dynamic-provider") && descends(pid)).map(([pid]) => pid);
}

for (const size of [8, 20]) {
  describe(`reliability: kill -9 of the provider host during an up of ${size}`, function () {
    this.timeout(8 * 60_000);
    let fleet: Fleet;

    before(async function () {
      this.timeout(ENSURE_TIMEOUT_MS);
      await pulumiBinDir();
      fleet = await startFleet(`provider-kill-${size}`, size, { lroDurationMs: 1500 });
    });
    after(async () => {
      await fleet?.tearDown();
    });

    it("one plain pulumi up converges: exactly N, 0 duplicated, 0 orphaned, 0 lost", async () => {
      const held = async () => (await fleet.emulator.admin.state()).templates.map((t) => String(t.name));
      const puts = async () =>
        (await fleet.emulator.admin.requests()).filter((e) => e.method === "PUT" && e.kind === "arm").length;
      const run = fleet.startUp(["--parallel", "4", "--skip-preview"]);
      while ((await puts()) < Math.min(size / 2, 8)) await delay(25);
      const hosts = await providerHosts(run.pid);
      assert.ok(hosts.length > 0, "found the provider host");
      for (const pid of hosts) process.kill(pid, "SIGKILL");
      assert.notEqual(await run.exited, 0, "the up fails when its provider dies");
      const exported = async () =>
        (JSON.parse((await fleet.pulumi(["stack", "export"])).stdout).deployment.resources ?? []).filter(
          (r: { type: string }) => r.type === TEMPLATE_TYPE,
        ) as { outputs?: { imageTemplateName?: string } }[];
      const recordedAfterKill = (await exported()).length;
      const unrecorded = (await held()).length - recordedAfterKill;
      assert.ok(unrecorded > 0, "the killed creates left templates the state does not know");

      await fleet.pulumi(["up", "--yes", "--skip-preview"]);

      const names = (await held()).sort();
      const recorded = (await exported()).map((r) => String(r.outputs?.imageTemplateName)).sort();
      const duplicates = names.length - new Set(names.map((n) => n.replace(/-[0-9a-f]+$/, ""))).size;
      const orphans = names.filter((n) => !recorded.includes(n)).length;
      const lost = recorded.filter((n) => !names.includes(n)).length + Math.max(0, size - names.length);
      recordFigure(`provider-kill-${size}`, {
        label: `kill -9 of the provider host mid-create, N=${size} (${unrecorded} unrecorded templates), then one plain up: held / duplicated / orphaned / lost`,
        value: `${names.length} / ${duplicates} / ${orphans} / ${lost}`,
        expected: `${size} / 0 / 0 / 0`,
        command: suiteCommand("provider-kill.test.ts"),
      });
      assert.equal(names.length, size);
      assert.deepEqual([duplicates, orphans, lost], [0, 0, 0]);
      await fleet.pulumi(["preview", "--expect-no-changes"]);
    });
  });
}
