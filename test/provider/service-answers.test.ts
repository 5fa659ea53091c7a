/**
 * The provider on the answers the real service gives (the emulator reproduces them, see its conformance tests): ids
 * with a lower-case `/resourcegroups/` segment, bodies with tags {}, buildTimeoutInMinutes 0 and stagingResourceGroup
 * "" filled in, computed checksums and the other members the service fills in where the program left them out (never
 * drift, never sent back), 409 OperationNotAllowed for a change while a build runs, PATCH answered 202 or (older API
 * versions) 200, cancel answered 204 with nothing to follow, the zero endTime of a running build, and a provisioning
 * that fails because the template's identity may not read a resource it names.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { templateArgs } from "../fixtures/template-args";
import { stepBuildsOnReads } from "../helpers/build-clock";
import { capture, type PartialStateError } from "../helpers/capture";
import { providerSuite } from "../helpers/provider-suite";

type Bag = Record<string, unknown>;
const lower = (id: string) => id.replace("/resourceGroups/", "/resourcegroups/");
const QUARTER = 15 * 60_000;

describe("provider on the service's own answers", function () {
  this.timeout(60_000);
  const suite = providerSuite();
  const { provider, checked } = suite;
  const RG = "rg-answers";

  // No tags, build timeout or staging resource group: the service fills in {}, 0 and "".
  const args = (extra: Bag = {}): Bag =>
    templateArgs(suite.emu().subscriptionId, RG, { imageTemplateName: "tpl", tag: undefined, ...extra });

  it("keeps the id, resourceId and arguments as the program wrote them; refresh of lower-case state changes nothing", async () => {
    const inputs = await checked(args());
    const created = await provider.create(inputs);
    const id = `/subscriptions/${suite.emu().subscriptionId}/resourceGroups/${RG}/providers/Microsoft.VirtualMachineImages/imageTemplates/tpl`;
    const [live] = (await suite.emu().admin.state()).templates as { id: string; tags: Bag; properties: Bag }[];
    assert.equal(live.id, lower(id), "the service answers with /resourcegroups/");
    assert.deepEqual(
      [live.tags, live.properties.buildTimeoutInMinutes, live.properties.stagingResourceGroup],
      [{}, 0, ""],
    );
    assert.equal(created.id, id);
    assert.equal((created.outs as Bag).resourceId, id);
    assert.deepEqual((await provider.read(created.id, created.outs as Bag)).inputs, inputs, "no drift from defaults");

    // State written from the service's spelling (an older provider, or an import): id and identity in lower case.
    const identity = (inputs.identityUserAssignedIdentity as string[]).map(lower);
    const stored: Bag = { ...(created.outs as Bag), identityUserAssignedIdentity: identity, resourceId: lower(id) };
    const refreshed = await provider.read(lower(id), stored);
    assert.equal(refreshed.id, lower(id), "the stored id is kept");
    assert.deepEqual(refreshed.inputs, { ...inputs, identityUserAssignedIdentity: identity });
    const again = await provider.read(refreshed.id!, refreshed.props as Bag);
    assert.deepEqual(again, refreshed, "a second refresh is identical");
    for (const news of [inputs, { ...inputs, identityUserAssignedIdentity: identity }]) {
      assert.deepEqual(await provider.diff(lower(id), refreshed.props as Bag, news), {
        changes: false,
        replaces: [],
        deleteBeforeReplace: false,
        detailedDiff: {},
      });
    }
  });

  it("an identity that may not read the source: the service's message and the role to grant, nothing left; after the grant the next up converges", async () => {
    const emu = suite.emu();
    const image = `/subscriptions/${emu.subscriptionId}/resourceGroups/rg-images/providers/Microsoft.Compute/images/base`;
    const inputs = await checked(
      args({ imageTemplateName: "denied", source: { type: "ManagedImage", imageId: image } }),
    );
    const identity = (inputs.identityUserAssignedIdentity as string[])[0];
    await emu.admin.setIdentityAccess(identity, image, false);
    const error = await provider.create(inputs).then(
      () => assert.fail("the create must fail"),
      (e: Error & { id?: string }) => e,
    );
    const label = `image template "denied" (resource group "${RG}", subscription ${emu.subscriptionId})`;
    assert.equal(
      error.message,
      `Creating ${label} failed: provisioning error Other: Not authorized to access the resource: ${image}. Please check the user assigned identity has the correct permissions. For more details, go to https://aka.ms/azvmimagebuilderts. The failed template was deleted; grant the template's identity ${identity} read on ${image} (the Reader role), e.g. az role assignment create --assignee-object-id $(az identity show --ids ${identity} --query principalId -o tsv) --role Reader --scope ${image}; then run pulumi up again.`,
    );
    assert.equal(error.id, undefined, "nothing to record: the failed template was deleted");
    assert.deepEqual((await emu.admin.state()).templates, []);
    const writes = (await emu.admin.requests())
      .filter((r) => r.kind === "arm" && r.method !== "GET")
      .map((r) => [r.method, r.status]);
    assert.deepEqual(writes, [
      ["PUT", 201],
      ["DELETE", 202],
    ]);
    await emu.admin.setIdentityAccess(identity, image, true);
    const created = await provider.create(inputs);
    assert.equal((created.outs as Bag).provisioningState, "Succeeded");
    assert.deepEqual(await provider.diff(created.id, created.outs as Bag, inputs), {
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
      detailedDiff: {},
    });
  });

  it("applies an in-place change whether PATCH answers 202 with both monitors or, as API 2022-07-01 did, 200 at once", async () => {
    const emu = suite.emu();
    const inputs = await checked(args());
    const created = await provider.create(inputs);
    let olds = created.outs as Bag;
    for (const [syncPatch, status] of [
      [false, 202],
      [true, 200],
    ] as const) {
      await emu.admin.setTiming({ syncPatch });
      await emu.admin.clearRequests();
      const news = await checked(args({ tag: { answer: String(status) } }), inputs);
      const updated = await provider.update(created.id, olds, news);
      olds = updated.outs as Bag;
      const patches = (await emu.admin.requests()).filter((r) => r.method === "PATCH").map((r) => r.status);
      assert.deepEqual(patches, [status]);
      assert.deepEqual(olds.tag, { answer: String(status) });
      assert.equal(olds.provisioningState, "Succeeded");
      const [live] = (await emu.admin.state()).templates as { tags: Bag }[];
      assert.deepEqual(live.tags, { answer: String(status) });
    }
  });

  it("records no end time for a build still running (the service's 0001-01-01), and deletes through a cancel answered 204", async () => {
    const emu = suite.emu();
    await emu.admin.setTiming({ buildDurationMs: 60_000 });
    const inputs = await checked(args({ build: { when: "onCreate", waitForCompletion: false } }));
    const log = console.log;
    console.log = () => undefined;
    try {
      const created = await provider.create(inputs);
      const outs = created.outs as Bag;
      assert.equal(outs.lastRunStatusRunState, "Running");
      assert.equal(typeof outs.lastRunStatusStartTime, "string");
      assert.equal("lastRunStatusEndTime" in outs, false, JSON.stringify(outs.lastRunStatusEndTime));
      await emu.admin.clearRequests();
      await provider.delete(created.id, outs);
    } finally {
      console.log = log;
    }
    const calls = (await emu.admin.requests()).filter((r) => r.kind === "arm").map((r) => `${r.method} ${r.status}`);
    assert.equal(calls.filter((c) => c.startsWith("POST")).join(), "POST 204", calls.join("\n"));
    assert.ok(calls.indexOf("DELETE 202") > calls.indexOf("POST 204"), calls.join("\n"));
    assert.deepEqual((await emu.admin.state()).templates, []);
  });

  // Members the service fills in where the program leaves them out (shared notes, "Members the service fills in or
  // drops"): the emulator answers with them as the real service does.
  const SCRIPT = "https://files.example.com/install.sh";
  const SCRIPT_TEXT = "#!/bin/sh\napt-get install -y nginx\n";
  const filledArgs = (extra: Bag = {}): Bag =>
    args({
      customize: [
        { type: "Shell", name: "script", scriptUri: SCRIPT },
        { type: "PowerShell", name: "ps", scriptUri: "https://files.example.com/setup.ps1", sha256Checksum: "" },
        { type: "File", name: "file", sourceUri: "https://files.example.com/motd", destination: "/etc/motd" },
        { type: "PowerShell", name: "ps-inline", inline: ["Write-Host hi"] },
        { type: "WindowsRestart", name: "restart" },
      ],
      validate: { inVMValidations: [{ type: "Shell", name: "check", scriptUri: SCRIPT }] },
      vmProfileVmsize: "",
      ...extra,
    });
  const noChange = { changes: false, replaces: [], deleteBeforeReplace: false, detailedDiff: {} };

  it("refresh then diff of a template whose checksums the service computed: no change (was: replace customize, delete first)", async () => {
    await suite.emu().admin.registerFile(SCRIPT, SCRIPT_TEXT);
    const inputs = await checked(filledArgs());
    const created = await provider.create(inputs);
    // The service's answers, as recorded: computed checksums, filled defaults, artifactTags {}, vmProfile zeros.
    const [live] = (await suite.emu().admin.state()).templates as { properties: Record<string, Bag[] & Bag> }[];
    const checksum = createHash("sha256").update(SCRIPT_TEXT).digest("hex");
    assert.equal(live.properties.customize[0].sha256Checksum, checksum);
    assert.match(String(live.properties.customize[1].sha256Checksum), /^[0-9a-f]{64}$/);
    assert.equal(
      (live.properties.validate as unknown as { inVMValidations: Bag[] }).inVMValidations[0].sha256Checksum,
      checksum,
    );
    assert.equal(live.properties.customize[4].restartCommand, "");
    assert.deepEqual(
      [live.properties.customize[3].runElevated, live.properties.customize[3].runAsSystem],
      [false, false],
    );
    assert.deepEqual(live.properties.distribute[0].artifactTags, {});
    assert.deepEqual(live.properties.vmProfile, { vmSize: "", osDiskSizeGB: 0 });

    const refreshed = await provider.read(created.id, created.outs as Bag);
    assert.deepEqual(await provider.diff(created.id, refreshed.props as Bag, inputs), noChange);
    assert.deepEqual(refreshed.inputs, inputs, "the program's spelling is kept");
    const again = await provider.read(created.id, refreshed.props as Bag);
    assert.deepEqual(again, refreshed, "a second refresh is identical");
  });

  it("a value the program set and the service changed is drift: read takes it, diff replaces", async () => {
    const own = "ab".repeat(32);
    const inputs = await checked(
      filledArgs({
        customize: [
          { type: "Shell", name: "script", scriptUri: SCRIPT, sha256Checksum: own },
          { type: "WindowsRestart", name: "restart", restartCommand: "shutdown /r /t 0" },
        ],
      }),
    );
    const created = await provider.create(inputs);
    const [live] = (await suite.emu().admin.state()).templates as { id: string; properties: { customize: Bag[] } }[];
    const changed = [
      { ...live.properties.customize[0], sha256Checksum: "cd".repeat(32) },
      { ...live.properties.customize[1], restartCommand: "" },
    ];
    await suite.emu().admin.putRaw(created.id, { ...live, properties: { ...live.properties, customize: changed } });
    const refreshed = await provider.read(created.id, created.outs as Bag);
    const customize = (refreshed.inputs as { customize: Bag[] }).customize;
    assert.deepEqual(
      [customize[0].sha256Checksum, customize[1].restartCommand],
      ["cd".repeat(32), ""],
      "the service's values replace the program's",
    );
    assert.deepEqual(await provider.diff(created.id, refreshed.props as Bag, inputs), {
      changes: true,
      replaces: ["customize"],
      deleteBeforeReplace: true,
      detailedDiff: { customize: { kind: "update", replace: true } },
    });
  });

  it("an update after refresh PATCHes only what the program changed, never a filled value", async () => {
    const inputs = await checked(filledArgs({ vmProfileOsdiskSizeGb: undefined }));
    const created = await provider.create(inputs);
    const refreshed = await provider.read(created.id, created.outs as Bag);
    const resized = await checked(filledArgs({ vmProfileVmsize: "Standard_D4s_v5" }), inputs);
    assert.deepEqual(await provider.diff(created.id, refreshed.props as Bag, resized), {
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
      detailedDiff: { vmProfileVmsize: { kind: "update", replace: false } },
    });
    await suite.emu().admin.clearRequests();
    await provider.update(created.id, refreshed.props as Bag, resized);
    const writes = (await suite.emu().admin.requests()).filter((r) => r.method !== "GET").map((r) => r.method);
    assert.deepEqual(writes, ["PATCH"]);
    const [live] = (await suite.emu().admin.state()).templates as { properties: Record<string, Bag[] & Bag> }[];
    assert.deepEqual(live.properties.vmProfile, { vmSize: "Standard_D4s_v5", osDiskSizeGB: 0 });
  });

  it("a checksum the program gave that is not the file's fails the build at that step, shown like any failed step", async () => {
    await suite.emu().admin.registerFile(SCRIPT, SCRIPT_TEXT);
    const wrong = "0".repeat(64);
    const inputs = await checked(
      args({
        imageTemplateName: "tpl-checksum",
        customize: [
          { type: "Shell", name: "prepare", inline: ["echo ready"] },
          { type: "Shell", name: "install", scriptUri: SCRIPT, sha256Checksum: wrong },
          { type: "Shell", name: "after", inline: ["echo never"] },
        ],
        build: { when: "onCreate" },
      }),
    );
    const { error } = await capture(() => provider.create(inputs));
    const e = error as PartialStateError;
    assert.ok(e?.properties, `the build fails: ${String(error)}`);
    assert.equal(e.properties.lastRunStatusRunState, "Failed");
    assert.match(String(e.properties.lastBuildError), /^customizer "install" \(Shell\)/);
    const actual = createHash("sha256").update(SCRIPT_TEXT).digest("hex");
    assert.ok(
      e.message.includes(`Checksum verification failed for ${SCRIPT}: expected ${wrong}, got ${actual}`),
      e.message,
    );
  });

  it("reads a template by id in either casing (ImageTemplate.get)", async () => {
    const created = await provider.create(await checked(args()));
    const byMixed = await provider.read(created.id, {});
    const byLower = await provider.read(lower(created.id), {});
    assert.equal(byMixed.id, created.id);
    assert.equal(byLower.id, lower(created.id));
    assert.deepEqual(byLower.props, byMixed.props);
    assert.equal((byLower.props as Bag).resourceId, created.id);
  });

  it("a change refused because a build runs waits for that build, then applies", async () => {
    // An hour's build, a quarter (one state) of the emulator's clock at a time, each after the provider read it.
    await suite.emu().admin.setTiming({ buildDurationMs: 4 * QUARTER });
    const inputs = await checked(args({ autoRun: { state: "Enabled" } }));
    const created = await provider.create(inputs);
    const retagged = await checked(args({ autoRun: { state: "Enabled" }, tag: { stage: "prod" } }), inputs);
    const lines: string[] = [];
    const log = console.log;
    console.log = (line: string) => lines.push(line);
    await suite.emu().admin.clearRequests();
    let updated;
    const clock = stepBuildsOnReads(suite.emu(), QUARTER);
    try {
      updated = await provider.update(created.id, created.outs as Bag, retagged);
    } finally {
      console.log = log;
      await clock.stop();
    }
    const patches = (await suite.emu().admin.requests()).filter((r) => r.method === "PATCH").map((r) => r.status);
    assert.deepEqual(patches, [409, 202], "refused while building, sent again after");
    const [live] = (await suite.emu().admin.state()).templates as { tags: Bag; properties: { lastRunStatus: Bag } }[];
    assert.deepEqual(live.tags, { stage: "prod" });
    assert.equal(live.properties.lastRunStatus.runState, "Succeeded");
    assert.deepEqual((updated.outs as Bag).tag, { stage: "prod" });
    const said = lines.map((l) => l.replace(/ \(\d+m\d+s\)$/, ""));
    assert.equal(
      said[0],
      "[tpl] the service refuses the change of tag while a build runs: waiting for the build (up to 270 minutes)",
    );
    assert.ok(said.includes("[tpl] build Running - Building"), said.join("\n"));
    assert.equal(said.at(-1), "[tpl] build Succeeded; applying the change of tag");
  });
});
