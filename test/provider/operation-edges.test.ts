/**
 * The provider's operations at their edges, against the emulator (real SDK over HTTPS): the words and outputs of each
 * build outcome, follow-up requests that fail (the clean-up delete of a failed create, a run-output read, a PATCH,
 * a DELETE), updates of a template a create left unsettled, and the ownership cases of delete. Each expected message
 * is the whole text a user reads, so a changed word or a dropped part fails the test.
 *
 * Imports the operations from source (like state-keeping.test.ts) so mutation testing sees them.
 */
import assert from "node:assert/strict";
import * as ops from "../../provider/image-template/operations";
import * as triggerOps from "../../provider/trigger/operations";
import { OWNER_TAG } from "../../provider/image-template/ownership";
import { templateArgs } from "../fixtures/template-args";
import { sourceOperationsSuite } from "../helpers/source-operations";
import { capture, type PartialStateError } from "../helpers/capture";

type Bag = Record<string, unknown>;
const RG = "rg-edges";

describe("provider operations at their edges (source operations against the emulator)", function () {
  this.timeout(60_000);
  const { emu, inputs, armRequests, writes, liveTemplates, buildReaches, withTiming } = sourceOperationsSuite(RG);

  const label = (name: string) =>
    `image template "${name}" (resource group "${RG}", subscription ${emu().subscriptionId})`;

  const runOutputReads = async () => (await armRequests()).filter((r) => r.path.endsWith("/runOutputs")).length;
  /** Progress lines without the elapsed time each ends with. */
  const progress = (lines: string[]) => lines.map((l) => l.replace(/ \(\d+m\d\ds\)$/, ""));

  /** The operation's partial-state error, and the progress lines it printed. */
  async function failsWithState(operation: () => Promise<unknown>) {
    const { error, lines } = await capture(operation);
    const e = error as PartialStateError | undefined;
    assert.ok(e, "the operation succeeded");
    assert.equal(typeof e.id, "string", `a partial-state error, got: ${e.message}`);
    return { e, lines: progress(lines) };
  }

  describe("the error of each build outcome", () => {
    it("a failed build: the service's message, and the next up builds again", async () => {
      await emu().admin.injectFault({ method: "POST", path: "/tpl-failed/run$", kind: "failBuild", message: "boom" });
      const { e } = await failsWithState(async () =>
        ops.create(await inputs("tpl-failed", { build: { when: "onCreate", logs: "off" } })),
      );
      assert.equal(
        e.message,
        `The image build of ${label("tpl-failed")} failed (runState Failed: boom). The template is kept; the next pulumi up runs the build again.`,
      );
      assert.equal(e.properties.buildPending, true);
      assert.equal(e.properties.lastRunStatusRunState, "Failed");
      assert.equal(e.properties.lastBuildError, undefined, "logs off: no report read");
    });

    it("a build canceled by someone else while create waits: was canceled, with the service's message", async () => {
      await withTiming({ buildDurationMs: 60_000 }, async () => {
        const creating = capture(async () => ops.create(await inputs("tpl-canceled", { build: { when: "onCreate" } })));
        await buildReaches("tpl-canceled", "Running");
        await emu().client().virtualMachineImageTemplates.beginCancelAndWait(RG, "tpl-canceled", emu().poll);
        const { error } = await creating;
        assert.equal(
          (error as Error).message,
          `The image build of ${label("tpl-canceled")} was canceled (runState Canceled: The build was canceled by the user.). The template is kept; the next pulumi up runs the build again.`,
        );
        assert.equal((error as PartialStateError).properties.lastBuildError, undefined, "no failure report read");
      });
    });

    it("a build that outlasts build.timeoutMinutes keeps running, or is canceled with cancelOnTimeout", async () => {
      await withTiming({ buildDurationMs: 60_000 }, async () => {
        const running = await failsWithState(async () =>
          ops.create(await inputs("tpl-slow", { build: { when: "onCreate", timeoutMinutes: 0.01 } })),
        );
        assert.equal(
          running.e.message,
          `The image build of ${label("tpl-slow")} did not finish in time (runState Running). It keeps running; the next pulumi up waits for it.`,
        );
        assert.equal(running.e.properties.buildPending, true);

        const canceled = await failsWithState(async () =>
          ops.create(
            await inputs("tpl-stopped", { build: { when: "onCreate", timeoutMinutes: 0.01, cancelOnTimeout: true } }),
          ),
        );
        assert.equal(
          canceled.e.message,
          `The image build of ${label("tpl-stopped")} did not finish in time (runState Canceled: The build was canceled by the user.). The template is kept; the next pulumi up runs the build again.`,
        );
      });
    });
  });

  it("a build whose last distribution fails: a success with the outputs that exist, a line saying what failed", async () => {
    const distribute = [
      ...(templateArgs(emu().subscriptionId, RG).distribute as Bag[]),
      { type: "VHD", runOutputName: "vhd", uri: "https://acct.blob.core.windows.net/vhds/out.vhd" },
    ];
    await emu().admin.injectFault({
      method: "POST",
      path: "/tpl-partial/run$",
      kind: "partialBuild",
      message: "Distribution to VHD failed.",
    });
    const { value, error, lines } = await capture(async () =>
      ops.create(await inputs("tpl-partial", { distribute, build: { when: "onCreate", logs: "stream" } })),
    );
    assert.equal(error, undefined);
    const outs = value!.outs as Bag;
    assert.equal(outs.lastRunStatusRunState, "PartiallySucceeded");
    assert.deepEqual(Object.keys(outs.runOutputs as Bag), ["mi"], "only the distribution that succeeded");
    assert.equal(outs.buildPending, undefined, "nothing owed: the next up does not build again");
    assert.match(String(outs.lastBuildLog), /^https:\/\/127\.0\.0\.1:\d+\/\w+\/packerlogs\//, "the build's log");
    const said = progress(lines);
    assert.ok(said.includes(`[tpl-partial] image build requested: build.when is "onCreate"`), said.join("\n"));
    assert.ok(said.includes("[tpl-partial] build partially succeeded: Distribution to VHD failed."), said.join("\n"));
    // The service exports the build log before distributing: the failure is lastRunStatus's, not the log's.
    const log = (await emu().blob(String(outs.lastBuildLog)).downloadToBuffer()).toString("utf8");
    assert.match(log, / PACKER Done exporting Packer logs to Azure Storage\.\n$/);
    assert.ok(!said.some((l) => l.startsWith("[tpl-partial] | ") && l.includes("Distribution")), said.join("\n"));
    assert.doesNotMatch(log, /Distribution to VHD failed/, "no distribution in the build log");

    // A refresh whose state lacks the run outputs of that (partly successful) build reads them.
    await emu().admin.clearRequests();
    const refreshed = (await ops.read(value!.id, { ...outs, runOutputs: undefined })).props as Bag;
    assert.deepEqual(refreshed.runOutputs, outs.runOutputs);
    assert.equal(await runOutputReads(), 1);
  });

  it("a build with logs off records no log; a refresh lists run outputs again only for a newer build", async () => {
    const created = await capture(async () =>
      ops.create(await inputs("tpl-rerun", { build: { when: "onCreate", logs: "off" } })),
    );
    const outs = created.value!.outs as Bag;
    assert.ok((outs.runOutputs as Bag).mi);
    assert.equal(outs.lastBuildLog, undefined);
    assert.deepEqual(
      created.lines.filter((l) => l.includes("partially")),
      [],
      "a full success says nothing of a partial one",
    );

    // Built again out of band (the portal, a trigger): refresh lists the new build's outputs even though state has some.
    await emu().client().virtualMachineImageTemplates.beginRunAndWait(RG, "tpl-rerun", emu().poll);
    await emu().admin.clearRequests();
    const refreshed = (await ops.read(created.value!.id, outs)).props as Bag;
    assert.equal(await runOutputReads(), 1, "listed for the newer build");
    assert.notEqual(refreshed.lastRunStatusEndTime, outs.lastRunStatusEndTime);
    assert.ok((refreshed.runOutputs as Bag).mi);

    await emu().client().virtualMachineImageTemplates.beginRunAndWait(RG, "tpl-rerun", emu().poll);
    await emu().admin.injectFault({ method: "GET", path: "/tpl-rerun/runOutputs$", kind: "error", status: 400 });
    await assert.rejects(ops.read(created.value!.id, refreshed), (e: Error) => {
      assert.ok(e.message.startsWith(`Reading the run outputs of ${label("tpl-rerun")} failed (`), e.message);
      return true;
    });
    await emu().admin.injectFault({ method: "GET", path: "/imageTemplates/tpl-rerun$", kind: "error", status: 400 });
    await assert.rejects(ops.read(created.value!.id, refreshed), (e: Error) => {
      assert.ok(e.message.startsWith(`Reading ${label("tpl-rerun")} failed (`), e.message);
      return true;
    });
  });

  it("turning builds off forgives the owed build and sends nothing", async () => {
    await emu().admin.injectFault({ method: "POST", path: "/tpl-owed/run$", kind: "failBuild" });
    const { e } = await failsWithState(async () =>
      ops.create(await inputs("tpl-owed", { build: { when: "onCreate" } })),
    );
    assert.equal(e.properties.buildPending, true);
    const news = await inputs("tpl-owed", { build: { when: "never" } }, e.properties);
    await emu().admin.clearRequests();
    const outs = (await ops.update(e.id, e.properties, news)).outs as Bag;
    assert.deepEqual(await armRequests(), []);
    assert.equal(outs.buildPending, undefined);
    assert.equal(outs.lastRunStatusRunState, "Failed", "what the service last reported is kept");
  });

  it("an update of a template a create left unsettled reads it again, and fails again while it is not there", async () => {
    const created = await ops.create(await inputs("tpl-unsettled"));
    // What a create whose operation could not be followed records (see state-keeping's create test).
    const olds = { ...(created.outs as Bag), provisioningState: "Creating" };
    const news = await inputs("tpl-unsettled", { build: { when: "never", logs: "off" } }, olds);
    await emu().admin.clearRequests();
    const outs = (await ops.update(created.id, olds, news)).outs as Bag;
    assert.equal(outs.provisioningState, "Succeeded", "read again");
    assert.deepEqual(outs.build, { when: "never", logs: "off" });
    assert.deepEqual(
      (await armRequests()).map((r) => r.method),
      ["GET"],
    );

    const live = (await liveTemplates())[0];
    await emu().admin.putRaw(created.id, {
      ...live,
      properties: { ...(live.properties as Bag), provisioningState: "Creating" },
    });
    const creating = await failsWithState(() => ops.update(created.id, olds, news));
    assert.equal(
      creating.e.message,
      `Reading ${label("tpl-unsettled")} again: it is in state Creating; the next pulumi up reads it again.`,
    );
    assert.equal(creating.e.properties.provisioningState, "Creating");
    assert.deepEqual(creating.e.properties.build, { when: "never", logs: "off" }, "the new settings are recorded");
    assert.equal(creating.e.properties.__provider, "serialized");

    await emu().admin.deleteRaw(created.id);
    const gone = await failsWithState(() => ops.update(created.id, olds, news));
    assert.equal(
      gone.e.message,
      `Reading ${label("tpl-unsettled")} again: it no longer exists (run pulumi refresh); the next pulumi up reads it again.`,
    );
    assert.equal(gone.e.id, created.id);
    assert.equal(gone.e.properties.resourceId, created.id, "the computed outputs recorded before");
  });

  it("update: a replacement is not its job; a refused PATCH names the arguments; a running build holds the PATCH", async () => {
    const created = await ops.create(await inputs("tpl-update"));
    const olds = created.outs as Bag;
    await assert.rejects(
      ops.update(created.id, olds, await inputs("tpl-update", { location: "eastus", buildTimeoutInMinute: 60 }, olds)),
      (e: Error) => {
        assert.equal(
          e.message,
          "Internal error: update called for a change that needs replacement (location, buildTimeoutInMinute)",
        );
        return true;
      },
    );

    const retagged = await inputs("tpl-update", { tag: { env: "prod" }, vmProfileVmsize: "Standard_D4s_v3" }, olds);
    await emu().admin.injectFault({ method: "PATCH", path: "/tpl-update$", kind: "error", status: 400 });
    await assert.rejects(ops.update(created.id, olds, retagged), (e: Error) => {
      assert.ok(e.message.startsWith(`Updating ${label("tpl-update")} (tag, vmProfileVmsize) failed (`), e.message);
      return true;
    });

    await withTiming({ buildDurationMs: 2000 }, async () => {
      await emu().client().virtualMachineImageTemplates.beginRun(RG, "tpl-update", emu().poll);
      await buildReaches("tpl-update", "Running");
      const { value, lines } = await capture(() => ops.update(created.id, olds, retagged));
      assert.deepEqual((value!.outs as Bag).tag, { env: "prod" });
      assert.ok(
        progress(lines).some((l) =>
          l.startsWith(
            "[tpl-update] the service refuses the change of tag, vmProfileVmsize while a build runs: waiting for the build",
          ),
        ),
        lines.join("\n"),
      );
    });
  });

  describe("adopting", () => {
    it("refuses a Failed template that reports no error, naming neither code nor message", async () => {
      const { id } = await ops.create(await inputs("tpl-nocode"));
      const live = (await liveTemplates())[0];
      await emu().admin.putRaw(id, {
        ...live,
        properties: { ...(live.properties as Bag), provisioningState: "Failed" },
      });
      await assert.rejects(ops.create(await inputs("tpl-nocode", { adoptExisting: true })), (e: Error) => {
        assert.equal(
          e.message,
          `Cannot adopt ${label("tpl-nocode")}: its provisioning failed (no code: no message). Delete it (az image builder delete -g ${RG} -n tpl-nocode) and run pulumi up again.`,
        );
        return true;
      });
    });

    it("names an immutable argument the existing template lacks as unset", async () => {
      await ops.create(await inputs("tpl-lacks"));
      const optimize = { vmBoot: { state: "Enabled" } };
      await assert.rejects(ops.create(await inputs("tpl-lacks", { adoptExisting: true, optimize })), (e: Error) => {
        assert.deepEqual(
          e.message.split("\n").filter((l) => l.startsWith("  ")),
          [`  optimize: existing (unset), declared ${JSON.stringify(optimize)}`],
        );
        return true;
      });
    });

    it("with nothing else to change, rewrites only the marker among the declared tags; a refused PATCH names tag", async () => {
      const seed = { __autonameSeed: "proj/dev/same" };
      const theirs = await ops.create(await inputs("tpl-same", { __autonameSeed: "proj/prod/other" }));
      await emu().admin.clearRequests();
      const adopted = await ops.create(await inputs("tpl-same", { ...seed, adoptExisting: true }));
      assert.equal(adopted.id, theirs.id);
      assert.deepEqual(await writes(), ["PATCH"]);
      const marker = (adopted.outs as Bag).__ownership;
      assert.deepEqual((await liveTemplates())[0].tags, { env: "test", [OWNER_TAG]: marker });

      // The marker alone is a change of tag; a changed tag is named once.
      await emu().admin.injectFault({ method: "PATCH", path: "/tpl-same$", kind: "error", status: 400, count: 2 });
      await assert.rejects(ops.create(await inputs("tpl-same", { ...seed, adoptExisting: true })), (e: Error) => {
        assert.ok(e.message.startsWith(`Updating ${label("tpl-same")} (tag) failed (`), e.message);
        return true;
      });
      const retagged = await inputs("tpl-same", { ...seed, adoptExisting: true, tag: { env: "prod" } });
      await assert.rejects(ops.create(retagged), (e: Error) => {
        assert.ok(e.message.startsWith(`Updating ${label("tpl-same")} (tag) failed (`), e.message);
        return true;
      });
    });

    it("without an owner to mark it, takes over an identical template without a request", async () => {
      await ops.create(await inputs("tpl-plain"));
      await emu().admin.clearRequests();
      const adopted = await ops.create(await inputs("tpl-plain", { adoptExisting: true }));
      assert.equal(adopted.outs.__ownership, undefined);
      assert.deepEqual(await writes(), []);
    });
  });

  it("create takes back its own template a killed run left Creating once it has settled, not refused mid-way", async () => {
    await withTiming({ lroDurationMs: 1500 }, async () => {
      const args = await inputs("tpl-killed", { __autonameSeed: "proj/dev/killed" });
      // The run that gets killed: its PUT is in, its template still Creating.
      const killed = capture(() => ops.create(args));
      for (;;) {
        const live = (await liveTemplates())[0]?.properties as Bag | undefined;
        if (live?.provisioningState === "Creating") break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const { value, error, lines } = await capture(() => ops.create(args));
      assert.equal(error, undefined);
      assert.equal((value!.outs as Bag).provisioningState, "Succeeded");
      assert.ok(
        progress(lines).includes(
          "[tpl-killed] the template is Creating (an earlier run's request): waiting for it to settle",
        ),
        lines.join("\n"),
      );
      const tags = (await liveTemplates())[0].tags as Bag;
      assert.equal(tags[OWNER_TAG], (value!.outs as Bag).__ownership, "the later run's marker");
      await killed;
    });
  });

  it("create: a failed provisioning whose clean-up delete fails says so and how to delete it by hand", async () => {
    await emu().admin.injectFault({
      method: "PUT",
      path: "/tpl-stuck$",
      kind: "failProvisioning",
      message: "source image 22.04.1 not accessible.",
    });
    await emu().admin.injectFault({ method: "DELETE", path: "/tpl-stuck$", kind: "error", status: 400 });
    await assert.rejects(ops.create(await inputs("tpl-stuck")), (e: Error) => {
      assert.match(
        e.message,
        new RegExp(
          `^Creating image template "tpl-stuck" \\(resource group "${RG}", subscription [^)]+\\) failed: provisioning error \\w+: source image 22\\.04\\.1 not accessible\\. Deleting the failed template also failed \\([^)]+\\); delete it by hand \\(az image builder delete -g ${RG} -n tpl-stuck\\); fix the cause and run pulumi up again\\.$`,
        ),
      );
      return true;
    });
    assert.equal((await liveTemplates()).length, 1, "the failed template is still there");
  });

  it("create: a failed provisioning that cannot be read back says it has no code or message", async () => {
    await emu().admin.injectFault({ method: "PUT", path: "/tpl-mute$", kind: "failProvisioning" });
    // The existence check and the poller's last read go through (no-op rules take them); the read after fails.
    await emu().admin.injectFault({ method: "GET", path: "/tpl-mute$", kind: "slow", delayMs: 0, count: 2 });
    await emu().admin.injectFault({ method: "GET", path: "/tpl-mute$", kind: "error", status: 400 });
    await assert.rejects(ops.create(await inputs("tpl-mute")), (e: Error) => {
      assert.equal(
        e.message,
        `Creating ${label("tpl-mute")} failed: provisioning error (no code): (no message). The failed template was deleted; fix the cause and run pulumi up again.`,
      );
      return true;
    });
  });

  describe("update and the ownership marker", () => {
    const marked = (name: string, seed: string, extra: Bag = {}, olds: Bag = {}) =>
      inputs(name, { __autonameSeed: seed, ...extra }, olds);

    it("refuses a template that lost its marker, sending nothing, with the command that puts it back", async () => {
      const made = await ops.create(await marked("tpl-lost", "proj/dev/lost"));
      const recorded = (made.outs as Bag).__ownership;
      const live = (await liveTemplates())[0];
      await emu().admin.putRaw(made.id, { ...live, tags: { env: "test" } });
      await emu().admin.clearRequests();
      const news = await marked("tpl-lost", "proj/dev/lost", { tag: { env: "prod" } }, made.outs as Bag);
      await assert.rejects(ops.update(made.id, made.outs as Bag, news), (e: Error) => {
        assert.equal(
          e.message,
          `${label("tpl-lost")} no longer carries this resource's ${OWNER_TAG} tag (a tag edit removed it, or the template was created again outside Pulumi), so it may not be this stack's. Nothing was sent (the change of tag). If it is this stack's, put the tag back (az tag update --operation merge --resource-id ${made.id} --tags ${OWNER_TAG}=${String(recorded)}) or set adoptExisting: true on this resource for this pulumi up (the template is checked against the program and the tag written back); otherwise choose another imageTemplateName.`,
        );
        return true;
      });
      assert.deepEqual(await writes(), []);
    });

    it("with adoptExisting takes over a template another stack holds, writing its own marker", async () => {
      const ours = await ops.create(await marked("tpl-handover", "proj/dev/handover"));
      await ops.$delete(ours.id, ours.outs as Bag);
      await ops.create(await marked("tpl-handover", "proj/prod/handover"));
      const news = await marked(
        "tpl-handover",
        "proj/dev/handover",
        { tag: { env: "prod" }, adoptExisting: true },
        ours.outs as Bag,
      );
      const { outs } = await ops.update(ours.id, ours.outs as Bag, news);
      const tags = (await liveTemplates())[0].tags as Record<string, string>;
      assert.equal(tags.env, "prod");
      assert.equal(tags[OWNER_TAG], outs?.__ownership, "the new marker is recorded");
      assert.notEqual(outs?.__ownership, (ours.outs as Bag).__ownership);
      assert.ok(String(outs?.__ownership).startsWith(String((ours.outs as Bag).__ownership).split(".")[0]));
    });

    it("keeps and records the marker a replacement of the same resource wrote", async () => {
      const seed = "proj/dev/sibling";
      const old = await ops.create(await marked("tpl-sibling", seed));
      const replacement = await ops.create(await marked("tpl-sibling", seed));
      const news = await marked("tpl-sibling", seed, { tag: { env: "prod" } }, old.outs as Bag);
      const { outs } = await ops.update(old.id, old.outs as Bag, news);
      const tags = (await liveTemplates())[0].tags as Record<string, string>;
      assert.equal(tags[OWNER_TAG], (replacement.outs as Bag).__ownership, "not flipped back");
      assert.equal(outs?.__ownership, (replacement.outs as Bag).__ownership);
    });
  });

  describe("delete", () => {
    it("deletes its template when state predates the marker; refuses, sending nothing, one whose marker was removed", async () => {
      const old = await ops.create(await inputs("tpl-premarker", { __autonameSeed: "proj/dev/premarker" }));
      assert.ok(((await liveTemplates())[0].tags as Bag)[OWNER_TAG], "marked");
      const stored = { ...(old.outs as Bag) };
      delete stored.__ownership; // state written before the ownership marker existed
      await ops.$delete(old.id, stored);
      assert.deepEqual(await liveTemplates(), []);

      const unmarked = await ops.create(await inputs("tpl-unmarked", { __autonameSeed: "proj/dev/unmarked" }));
      const marker = (unmarked.outs as Bag).__ownership;
      assert.ok(marker, "state holds the marker");
      const live = (await liveTemplates())[0];
      await emu().admin.putRaw(unmarked.id, { ...live, tags: { env: "test" } });
      await emu().admin.clearRequests();
      await assert.rejects(ops.$delete(unmarked.id, unmarked.outs as Bag), (e: Error) => {
        assert.ok(e.message.startsWith(`Deleting ${label("tpl-unmarked")}: it no longer carries`), e.message);
        assert.ok(e.message.includes(`--tags ${OWNER_TAG}=${String(marker)}`), e.message);
        return true;
      });
      assert.deepEqual(await writes(), []);
      assert.equal((await liveTemplates()).length, 1, "kept");
    });

    it("stops a trigger's delete, sending nothing, when its template lost the marker the trigger was created on", async () => {
      const made = await ops.create(await inputs("tpl-trigger-lost", { __autonameSeed: "proj/dev/trigger-lost" }));
      const marker = (made.outs as Bag).__ownership;
      const checked = await triggerOps.check(
        {},
        {
          resourceGroupName: RG,
          imageTemplateName: "tpl-trigger-lost",
          triggerName: "on-new-ubuntu",
          kind: "SourceImage",
        },
      );
      const trigger = await triggerOps.create(checked.inputs as Bag);
      const live = (await liveTemplates())[0];
      await emu().admin.putRaw(made.id, { ...live, tags: { env: "test" } });
      await emu().admin.clearRequests();
      await assert.rejects(triggerOps.$delete(trigger.id, trigger.outs as Bag), (e: Error) => {
        assert.ok(
          e.message.startsWith(
            `Deleting trigger "on-new-ubuntu" of image template "tpl-trigger-lost": the template no longer carries the ${OWNER_TAG} tag`,
          ),
          e.message,
        );
        assert.ok(e.message.includes(`--tags ${OWNER_TAG}=${String(marker)}`), e.message);
        return true;
      });
      assert.deepEqual(await writes(), []);
      assert.equal((await emu().admin.state()).triggers.length, 1, "kept");
    });

    it("leaves a template another stack created or adopted since, and says so", async () => {
      const ours = await ops.create(await inputs("tpl-foreign", { __autonameSeed: "proj/dev/foreign" }));
      await ops.$delete(ours.id, ours.outs as Bag);
      await ops.create(await inputs("tpl-foreign", { __autonameSeed: "proj/prod/foreign" }));
      await emu().admin.clearRequests();
      const { lines } = await capture(() => ops.$delete(ours.id, ours.outs as Bag));
      assert.deepEqual(progress(lines), [
        `[tpl-foreign] left in place: another stack or program owns the template now (its ${OWNER_TAG} tag is not this resource's); nothing was deleted`,
      ]);
      assert.deepEqual(await writes(), []);
      assert.equal((await liveTemplates()).length, 1, "kept");
    });

    it("leaves a template a replacement took over, and says so", async () => {
      const seed = { __autonameSeed: "proj/dev/taken" };
      const old = await ops.create(await inputs("tpl-taken", seed));
      await ops.create(await inputs("tpl-taken", seed));
      await emu().admin.clearRequests();
      const { lines } = await capture(() => ops.$delete(old.id, old.outs as Bag));
      assert.deepEqual(progress(lines), [
        "[tpl-taken] left in place: a replacement of this resource now manages the template",
      ]);
      assert.deepEqual(await writes(), []);
    });

    it("a template gone between the read and the delete is done; a refused delete names the template", async () => {
      const gone = await ops.create(await inputs("tpl-race"));
      await emu().admin.injectFault({ method: "DELETE", path: "/tpl-race$", kind: "error", status: 404 });
      await ops.$delete(gone.id, gone.outs as Bag);

      await emu().admin.injectFault({ method: "DELETE", path: "/tpl-race$", kind: "error", status: 400 });
      await assert.rejects(ops.$delete(gone.id, gone.outs as Bag), (e: Error) => {
        assert.ok(e.message.startsWith(`Deleting ${label("tpl-race")} failed (`), e.message);
        return true;
      });
    });

    it("cancels a running build first; a build that does not stop in time fails the delete and keeps the template", async () => {
      await withTiming({ buildDurationMs: 60_000 }, async () => {
        const build = { when: "onCreate", waitForCompletion: false };
        const stops = await capture(async () => ops.create(await inputs("tpl-stops", { build })));
        const { lines } = await capture(() => ops.$delete(stops.value!.id, stops.value!.outs as Bag));
        assert.ok(progress(lines).includes("[tpl-stops] build Canceled; deleting the template"), lines.join("\n"));
        assert.deepEqual(await liveTemplates(), []);

        const stuck = await capture(async () => ops.create(await inputs("tpl-stuck-build", { build })));
        await withTiming({ lroDurationMs: 60_000 }, async () => {
          // The build's own timeout bounds the wait for the cancel: a short one, as state holds it.
          const stored = { ...(stuck.value!.outs as Bag), build: { ...build, timeoutMinutes: 0.005 } };
          const { error } = await capture(() => ops.$delete(stuck.value!.id, stored));
          assert.equal(
            (error as Error | undefined)?.message,
            `Deleting ${label("tpl-stuck-build")} failed: its build did not stop after a cancel (runState Running). Retry pulumi destroy later.`,
          );
        });
        assert.equal((await liveTemplates()).length, 1);
      });
    });
  });

  it("an id that is not an image template's, with no arguments to address it, is refused by name", async () => {
    await assert.rejects(ops.read("not-an-id", {}), (e: Error) => {
      assert.equal(
        e.message,
        `"not-an-id" is not an image template resource id (/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.VirtualMachineImages/imageTemplates/{name})`,
      );
      return true;
    });
  });
});
