/**
 * Build progress on each template's own row, read from the real engine's event stream (Automation API onEvent): two
 * templates (one under a component) build at once with the log streaming; each one's status (ephemeral), log lines
 * and outcome carry its own URN; the first build has no estimate, the second one has; after a stack rename, no line
 * goes to a row of the old name. Builds advance on the emulator's clock (admin), never on this machine's timing.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import type { DiagnosticEvent, EngineEvent, PulumiFn } from "@pulumi/pulumi/automation";
import type { EngineStack } from "./helpers/engine-stack";
import { ImageTemplate } from "pulumi-azure-imagebuilder";
import { templateArgs } from "../fixtures/template-args";
import { stepBuildsOnReads } from "../helpers/build-clock";
import { ENSURE_TIMEOUT_MS, pulumiBinDir } from "./helpers/engine";
import { startEngineSuite, templates, type EngineSuite } from "./helpers/stacks";

const PROJECT = "e2e-progress";
const RG = "rg-progress";
const TYPE = "pulumi-nodejs:dynamic/azure-imagebuilder:ImageTemplate";
/** A build of 40 minutes by the emulator's clock, moved on a minute at a time while an up runs. */
const BUILD_MS = 40 * 60_000;

class Group extends pulumi.ComponentResource {
  constructor(name: string) {
    super("e2e:progress:Group", name);
  }
}

function program(subscriptionId: string, release: string, names: string[]): PulumiFn {
  return async () => {
    const declare = (name: string, opts?: pulumi.CustomResourceOptions) =>
      new ImageTemplate(
        name,
        {
          ...templateArgs(subscriptionId, RG),
          customize: ["update", "install-nginx", "cleanup"].map((step) => ({
            type: "Shell" as const,
            name: step,
            inline: [`echo ${step}`],
          })),
          distribute: [
            {
              ...templateArgs(subscriptionId, RG).distribute[0],
              imageId: `/subscriptions/${subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Compute/images/${name}`,
            },
          ],
          build: { when: "onCreate", logs: "stream", trigger: { release } },
        },
        opts,
      );
    if (names.includes("alpha")) declare("alpha");
    // Renamed in the program, its state kept through an alias.
    if (names.includes("alpha-renamed")) declare("alpha-renamed", { aliases: [{ name: "alpha" }] });
    // Under a component: its URN carries the parent's type.
    if (names.includes("beta")) declare("beta", { parent: new Group("group") });
  };
}

interface Run {
  events: EngineEvent[];
  error?: Error;
}

describe("build progress on the template's own row (engine event stream)", function () {
  this.timeout(6 * 60_000);
  let suite: EngineSuite;
  let stack: EngineStack;
  let subscriptionId: string;
  const urnOf = (stackName: string, name: string) =>
    name !== "beta"
      ? `urn:pulumi:${stackName}::${PROJECT}::${TYPE}::${name}`
      : `urn:pulumi:${stackName}::${PROJECT}::e2e:progress:Group$${TYPE}::beta`;

  /** Start times of the templates' last runs, by template name prefix. */
  const runStarts = async () =>
    new Map(
      (await templates(suite.emulator)).map((t) => [
        t.name.replace(/-[0-9a-f]{7}$/, ""),
        (t.properties as { lastRunStatus?: { startTime?: string } }).lastRunStatus?.startTime,
      ]),
    );
  /**
   * An up; once every template's build of it has started, the emulator's clock moves on a minute at a time, each time
   * the provider has read every running template (stepBuildsOnReads). Not before the builds start: the log's blob store
   * (Azurite) dates blobs by this machine's clock, and the provider looks for a log written since the run's start.
   */
  async function up(release: string, names = ["alpha", "beta"]): Promise<Run> {
    stack.workspace.program = program(subscriptionId, release, names);
    const events: EngineEvent[] = [];
    const before = await runStarts();
    // A renamed resource keeps its template (and its autoname).
    const template = (n: string) => n.replace(/-renamed$/, "");
    const clock = stepBuildsOnReads(suite.emulator, 60_000, async () => {
      const now = await runStarts();
      return names.map(template).every((n) => now.get(n) !== undefined && now.get(n) !== before.get(n));
    });
    try {
      await stack.up({ onEvent: (e) => events.push(e) });
      return { events };
    } catch (error) {
      return { events, error: error as Error };
    } finally {
      await clock.stop();
    }
  }
  const diagnostics = (run: Run): DiagnosticEvent[] => run.events.flatMap((e) => e.diagnosticEvent ?? []);
  const statuses = (run: Run, urn: string) =>
    diagnostics(run)
      .filter((d) => d.urn === urn && d.ephemeral)
      .map((d) => d.message.trimEnd());
  const lasting = (run: Run, urn: string) =>
    diagnostics(run)
      .filter((d) => d.urn === urn && !d.ephemeral)
      .map((d) => d.message.trimEnd());
  /** URNs of the resources the engine stepped on in this run. */
  const steppedUrns = (run: Run) =>
    new Set(
      run.events.flatMap((e) => [e.resourcePreEvent?.metadata.urn, e.resOutputsEvent?.metadata.urn]).filter(Boolean),
    );

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    await pulumiBinDir();
    suite = await startEngineSuite();
    subscriptionId = suite.emulator.subscriptionId;
    await suite.emulator.admin.setTiming({ buildDurationMs: BUILD_MS });
    stack = await suite.inlineStack(PROJECT, "dev", program(subscriptionId, "1", []));
  });

  after(async () => {
    await suite?.tearDown();
  });

  it("two templates building at once: each one's status, log lines and outcome on its own row; no estimate on a first build", async () => {
    const run = await up("1");
    assert.equal(run.error, undefined, String(run.error));
    const stepped = steppedUrns(run);
    for (const name of ["alpha", "beta"]) {
      const urn = urnOf("dev", name);
      assert.ok(stepped.has(urn), `the engine knows ${urn}`);
      const status = statuses(run, urn);
      // The status column: the phase, the step from the streamed log, the elapsed time by the service's clock.
      assert.ok(status.includes("creating the template"), status.join("\n"));
      assert.ok(
        status.some((s) => /^building: queued \(\dm\d\ds\)$/.test(s)),
        status.join("\n"),
      );
      assert.ok(
        status.some((s) => /^building: customizing, step 2\/3 "install-nginx" \(Shell\) \(\d+m\d\ds\)$/.test(s)),
        status.join("\n"),
      );
      assert.ok(
        status.some((s) => s.startsWith("building: distributing")),
        status.join("\n"),
      );
      assert.ok(!status.some((s) => / left\)$/.test(s)), `no estimate without a previous build:\n${status.join("\n")}`);
      const lines = lasting(run, urn);
      assert.ok(
        lines.some((l) => l.startsWith("build Running - Customizing")),
        lines.join("\n"),
      );
      assert.ok(
        lines.some((l) => /^\| PACKER /.test(l)),
        `the streamed build log:\n${lines.join("\n")}`,
      );
      assert.ok(
        lines.some((l) =>
          /^image built in \d+m\d\ds \(no estimate: no earlier successful build of this resource\)$/.test(l),
        ),
        lines.join("\n"),
      );
      // Nothing of another template's on this row.
      const other = name === "alpha" ? "beta" : "alpha";
      assert.ok(!lines.some((l) => l.includes(`images/${other}`)), lines.join("\n"));
    }
    // Nothing of the provider under the stack: no `[name]` stdout fallback lines.
    assert.deepEqual(
      diagnostics(run)
        .filter((d) => /\[(alpha|beta)\]/.test(d.message))
        .map((d) => d.message),
      [],
    );
    // Every line of the provider went to a row the engine stepped on.
    for (const d of diagnostics(run)) if (d.urn?.includes(TYPE)) assert.ok(stepped.has(d.urn), `phantom row ${d.urn}`);
  });

  it("the second build of each template shows what is left from the first one, and how far off it was", async () => {
    const run = await up("2");
    assert.equal(run.error, undefined, String(run.error));
    for (const name of ["alpha", "beta"]) {
      const urn = urnOf("dev", name);
      const status = statuses(run, urn);
      assert.ok(
        status.some((s) => /^building: customizing.* \(\d+m\d\ds, about \d+ (min|s) left\)$/.test(s)),
        status.join("\n"),
      );
      assert.ok(
        lasting(run, urn).some((l) =>
          /^image built in \d+m\d\ds \(estimate \d+m\d\ds, (exact|\d+m\d\ds (longer|shorter))\)$/.test(l),
        ),
        lasting(run, urn).join("\n"),
      );
    }
    const state = (await stack.exportStack()).deployment.resources.find(
      (r: { urn: string }) => r.urn === urnOf("dev", "alpha"),
    );
    assert.equal(state.outputs.__buildHistory.length, 2, "both builds kept in state");
    for (const build of state.outputs.__buildHistory as Record<string, number>[]) {
      assert.deepEqual(Object.keys(build).sort(), ["Building", "Customizing", "Distributing", "Queued"]);
      // Seconds by the emulator's clock: the phases add up to the 40 minutes the build took.
      const total = Object.values(build).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(total - BUILD_MS / 1000) <= 2, JSON.stringify(build));
    }
  });

  it("after a stack rename no line goes to a row of the old name (state holds the old URN)", async () => {
    await stack.rename({ stackName: "renamed" });
    // beta leaves the program: its delete reads the stale URN from state; alpha builds again under the new URN.
    const run = await up("3", ["alpha"]);
    assert.equal(run.error, undefined, String(run.error));
    const stepped = steppedUrns(run);
    assert.ok(stepped.has(urnOf("renamed", "beta")), "beta was deleted in this run");
    const stale = diagnostics(run).filter(
      (d) => d.urn?.includes("::dev::") || (d.urn && !stepped.has(d.urn) && d.urn.includes(TYPE)),
    );
    assert.deepEqual(stale, [], "no line to a phantom row");
    assert.ok(statuses(run, urnOf("renamed", "alpha")).some((s) => s.startsWith("building: ")));
  });

  it("after an alias (the resource renamed in the program), its lines go to the new row only", async () => {
    const run = await up("4", ["alpha-renamed"]);
    assert.equal(run.error, undefined, String(run.error));
    const stepped = steppedUrns(run);
    const renamed = urnOf("renamed", "alpha-renamed");
    assert.ok(stepped.has(renamed));
    assert.ok(statuses(run, renamed).some((s) => s.startsWith("building: ")));
    assert.ok(lasting(run, renamed).some((l) => l.startsWith("image built in ")));
    const elsewhere = diagnostics(run).filter((d) => d.urn?.includes(TYPE) && d.urn !== renamed);
    assert.deepEqual(elsewhere, [], "no line to the old name's row");
  });
});
