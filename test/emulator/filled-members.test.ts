/**
 * Conformance with recorded real traffic (shared notes "How the real Image Builder service answers", section "Members
 * the service fills in or drops"): what a template's PUT response and GET report beyond what was sent. Each test
 * names the fact it reproduces.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator";
import { arm, settle, templateBody, templatePath, waitFor, type AnyJson, type Arm } from "./util";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const HEX = /^[0-9a-f]{64}$/;
const SCRIPT = "https://files.example.com/install.sh";
const SCRIPT_TEXT = "#!/bin/sh\napt-get install -y nginx\n";
const PS1 = "https://files.example.com/setup.ps1";
const FILE = "https://files.example.com/motd.txt";
const UNREGISTERED = "https://elsewhere.example.org/never-registered.sh";

describe("emulator: members the service fills in (recorded answers)", function () {
  let emu: TestEmulator;
  let a: Arm;

  before(async () => {
    emu = await startTestEmulator({ lroDurationMs: 50, buildDurationMs: 300, files: { [SCRIPT]: SCRIPT_TEXT } });
    a = await arm(emu);
  });
  beforeEach(async () => {
    await emu.admin.reset();
    await emu.admin.registerFile(PS1, "Write-Host setup");
    await emu.admin.registerFile(FILE, Buffer.from("welcome\n"));
  });
  after(async () => {
    a.close();
    await emu.stop();
  });

  /** PUT a template, returning the PUT response's body and the GET body once provisioned. */
  async function create(name: string, properties: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const path = templatePath(emu.subscriptionId, "rg-filled", name);
    const put = await a.request("PUT", path, templateBody(emu.subscriptionId, { properties, ...extra }));
    assert.equal(put.status, 201, JSON.stringify(put.body));
    assert.equal((await settle(a, put)).status, "Succeeded");
    const got = await a.request("GET", path);
    return { path, put: put.body as AnyJson, got: got.body as AnyJson };
  }

  const steps = [
    { type: "Shell", name: "script", scriptUri: SCRIPT },
    { type: "PowerShell", name: "ps", scriptUri: PS1, sha256Checksum: "" },
    { type: "File", name: "file", sourceUri: FILE, destination: "/etc/motd" },
    { type: "Shell", name: "unregistered", scriptUri: UNREGISTERED },
    { type: "Shell", name: "inline", inline: ["echo hi"] },
    { type: "WindowsRestart", name: "restart" },
    { type: "WindowsUpdate", name: "updates" },
  ];

  it("sha256Checksum: omitted from the PUT response, the downloaded file's SHA-256 after provisioning (Shell, PowerShell, File; customize and inVMValidations)", async () => {
    const validations = steps.slice(0, 3);
    const { put, got } = await create("checksums", {
      customize: steps,
      validate: { inVMValidations: validations },
    });
    for (const s of [...put.properties.customize, ...put.properties.validate.inVMValidations]) {
      assert.ok(!s.sha256Checksum, `the PUT response has no checksum for ${s.name}: ${JSON.stringify(s)}`);
    }
    const expected = [
      sha256(SCRIPT_TEXT),
      sha256("Write-Host setup"),
      sha256("welcome\n"),
      sha256(`imagebuilder-emulator:unregistered:${UNREGISTERED}`),
    ];
    const customize = got.properties.customize as AnyJson[];
    assert.deepEqual(
      customize.map((s) => s.sha256Checksum),
      [...expected, undefined, undefined, undefined],
      "inline, WindowsRestart and WindowsUpdate steps get none",
    );
    assert.deepEqual(
      got.properties.validate.inVMValidations.map((s: AnyJson) => s.sha256Checksum),
      expected.slice(0, 3),
    );
    assert.match(customize[3].sha256Checksum, HEX, "a URL nobody registered still gets a stable 64-hex value");
    // Kept as computed at creation: registering other contents later changes no template.
    await emu.admin.registerFile(SCRIPT, "changed");
    const again = await a.request("GET", templatePath(emu.subscriptionId, "rg-filled", "checksums"));
    assert.equal(again.body.properties.customize[0].sha256Checksum, sha256(SCRIPT_TEXT));
  });

  it("sha256Checksum given by the request is echoed as sent", async () => {
    const given = "AB".repeat(32);
    const { got } = await create("given", { customize: [{ ...steps[0], sha256Checksum: given }] });
    assert.equal(got.properties.customize[0].sha256Checksum, given);
  });

  it('WindowsRestart restartCommand "" and PowerShell runElevated/runAsSystem false are added when absent', async () => {
    const { put, got } = await create("windows", {
      customize: [
        { type: "WindowsRestart", name: "restart", restartTimeout: "5m" },
        { type: "WindowsRestart", name: "own", restartCommand: "shutdown /r /t 0" },
        { type: "PowerShell", name: "ps", inline: ["Write-Host hi"] },
        { type: "PowerShell", name: "elevated", inline: ["Write-Host hi"], runElevated: true },
      ],
    });
    for (const body of [put, got]) {
      const [restart, own, ps, elevated] = body.properties.customize;
      assert.equal(restart.restartCommand, "");
      assert.equal(own.restartCommand, "shutdown /r /t 0");
      assert.deepEqual([ps.runElevated, ps.runAsSystem], [false, false]);
      assert.deepEqual([elevated.runElevated, elevated.runAsSystem], [true, false]);
    }
  });

  it("distribute[]: artifactTags {} added to every distributor that had none (ManagedImage, VHD, SharedImage)", async () => {
    const sub = emu.subscriptionId;
    const { put, got } = await create("artifact-tags", {
      distribute: [
        {
          type: "ManagedImage",
          runOutputName: "managed",
          imageId: `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Compute/images/out`,
          location: "westus",
        },
        { type: "VHD", runOutputName: "vhd" },
        {
          type: "SharedImage",
          runOutputName: "sig",
          galleryImageId: `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i`,
          artifactTags: { kind: "sig" },
        },
      ],
    });
    for (const body of [put, got]) {
      assert.deepEqual(
        body.properties.distribute.map((d: AnyJson) => d.artifactTags),
        [{}, {}, { kind: "sig" }],
      );
    }
  });

  it('vmProfile: {} comes back as {vmSize: "", osDiskSizeGB: 0}; sent values echoed; none without vmProfile', async () => {
    const empty = await create("vm-empty", { vmProfile: {} });
    for (const body of [empty.put, empty.got])
      assert.deepEqual(body.properties.vmProfile, { vmSize: "", osDiskSizeGB: 0 });
    const sized = await create("vm-sized", { vmProfile: { vmSize: "Standard_D2s_v3", osDiskSizeGB: 64 } });
    assert.deepEqual(sized.got.properties.vmProfile, { vmSize: "Standard_D2s_v3", osDiskSizeGB: 64 });
    const none = await create("vm-none", {});
    assert.equal(none.got.properties.vmProfile, undefined);
  });

  it('source.exactVersion: "latest" or the pinned version in the PUT response, the resolved version after provisioning; a SharedImageVersion\'s full id', async () => {
    const latest = await create("latest", {});
    assert.equal(latest.put.properties.source.exactVersion, "latest");
    assert.match(latest.got.properties.source.exactVersion, /^\d+\.\d+\.\d+$/);
    const pinned = await create("pinned", {
      source: { type: "PlatformImage", publisher: "Canonical", offer: "ubuntu", sku: "server", version: "22.04.1" },
    });
    assert.equal(pinned.put.properties.source.exactVersion, "22.04.1");
    assert.equal(pinned.got.properties.source.exactVersion, "22.04.1");
    const versionId = `/subscriptions/${emu.subscriptionId}/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i/versions/1.2.3`;
    const gallery = await create("gallery", { source: { type: "SharedImageVersion", imageVersionId: versionId } });
    assert.equal(gallery.put.properties.source.exactVersion, versionId);
    assert.equal(gallery.got.properties.source.exactVersion, versionId);
  });

  it("identity.userAssignedIdentities keys keep the casing the last PUT/PATCH used, with the same principalId/clientId", async () => {
    const id = `/subscriptions/${emu.subscriptionId}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/Builder`;
    const lower = id.toLowerCase();
    const { path, got } = await create(
      "identity-case",
      {},
      {
        identity: { type: "UserAssigned", userAssignedIdentities: { [lower]: {} } },
      },
    );
    assert.deepEqual(Object.keys(got.identity.userAssignedIdentities), [lower]);
    const first = got.identity.userAssignedIdentities[lower];
    const patch = await a.request("PATCH", path, {
      identity: { type: "UserAssigned", userAssignedIdentities: { [id]: {} } },
    });
    await settle(a, patch);
    const after = (await a.request("GET", path)).body;
    assert.deepEqual(Object.keys(after.identity.userAssignedIdentities), [id]);
    assert.deepEqual(after.identity.userAssignedIdentities[id], first);
  });

  describe("a checksum given that is not the file's (assumption: the build fails at that step)", () => {
    const runToEnd = async (path: string) => {
      const run = await a.request("POST", path.replace("?", "/run?"));
      assert.equal(run.status, 202);
      await settle(a, run);
      return (await a.request("GET", path)).body.properties.lastRunStatus;
    };

    it("fails the build at the customizer whose checksum does not match, printing both checksums", async () => {
      const wrong = "0".repeat(64);
      const { path } = await create("mismatch", {
        customize: [
          { type: "Shell", name: "first", inline: ["echo ok"] },
          { type: "Shell", name: "install", scriptUri: SCRIPT, sha256Checksum: wrong },
          { type: "Shell", name: "after", inline: ["echo never"] },
        ],
      });
      const status = await runToEnd(path);
      assert.equal(status.runState, "Failed");
      assert.match(status.message, /^PackerBuildFailed: /);
      const [t] = (await emu.admin.state()).templates as AnyJson[];
      const log = await waitFor(
        () => logOf(t),
        (text) => text.includes("Checksum verification failed"),
      );
      const failing = `Checksum verification failed for ${SCRIPT}: expected ${wrong}, got ${sha256(SCRIPT_TEXT)}`;
      assert.ok(log.includes(failing), log);
      assert.ok(!log.includes("echo never"), "no step after the failing one runs");
    });

    it("builds when the given checksum is the file's (in any case), or the URL's contents are not registered", async () => {
      const { path } = await create("matching", {
        customize: [
          { type: "Shell", name: "install", scriptUri: SCRIPT, sha256Checksum: sha256(SCRIPT_TEXT).toUpperCase() },
          { type: "Shell", name: "other", scriptUri: UNREGISTERED, sha256Checksum: "cd".repeat(32) },
        ],
      });
      assert.equal((await runToEnd(path)).runState, "Succeeded");
    });
  });

  /** The run's customization.log, read from the staging account's blob the failure message names. */
  async function logOf(t: AnyJson): Promise<string> {
    const message = String(t.properties.lastRunStatus.message);
    const at = /containers\/packerlogs\/(\S+customization\.log)/.exec(message);
    assert.ok(at, message);
    const account = /storageAccounts\/([^/]+)\//.exec(message)![1];
    const blob = emu.blob(`${emu.blobUrl}/${account}/packerlogs/${at[1]}`);
    return (await blob.downloadToBuffer().catch(() => Buffer.from(""))).toString("utf8");
  }
});
