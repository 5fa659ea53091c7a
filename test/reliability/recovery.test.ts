/**
 * A create whose PUT was accepted but whose status could not be followed leaves a template the engine must record;
 * and the first-run failures users meet most (subscription not registered, no rights for the caller, no rights for
 * the template's identity) each end in one line saying what to run. The provider runs in this process as the
 * engine's plugin runs it (built dist/, env read at call time), against the emulator's switches for each case.
 */
import assert from "node:assert/strict";
import type * as pulumi from "@pulumi/pulumi";
import { imageTemplateProvider } from "../../provider";
import { templateArgs } from "../fixtures/template-args";
import { applyEmulatorEnv, startTestEmulator, trustEmulatorCertificate, type TestEmulator } from "../helpers/emulator";
import { recordFigure, suiteCommand } from "./summary";

type Bag = Record<string, unknown>;
const bagOf = (args: object): Bag => ({ ...args });
const provider = imageTemplateProvider as Required<pulumi.dynamic.ResourceProvider>;
const RG = "rg-recovery";
const FAST_RETRIES = { AZURE_IMAGEBUILDER_RETRY_DELAY_MS: "10", AZURE_IMAGEBUILDER_MAX_RETRY_DELAY_MS: "40" };

describe("reliability: creates that lose track of their template, and first-run failures", function () {
  this.timeout(60_000);
  let emu: TestEmulator;
  let restoreEnv: () => void;
  const tally = { polling: { tried: 0, recorded: 0 }, firstRun: { tried: 0, actionable: 0 } };

  before(async () => {
    emu = await startTestEmulator();
    trustEmulatorCertificate(emu.caPem);
    restoreEnv = applyEmulatorEnv(emu);
    Object.assign(process.env, FAST_RETRIES);
  });
  after(async () => {
    for (const key of Object.keys(FAST_RETRIES)) delete process.env[key];
    restoreEnv?.();
    await emu?.stop();
    recordFigure("create-polling", {
      label:
        "Creates whose PUT succeeded but status polling failed (monitor 500 for good, everything dropped) / recorded with their id",
      value: `${tally.polling.tried} / ${tally.polling.recorded}`,
      expected: "all recorded, 0 orphaned",
      command: suiteCommand("recovery.test.ts"),
    });
    recordFigure("first-run", {
      label:
        "First-run failures (MissingSubscriptionRegistration, AuthorizationFailed, identity rights at provisioning and in a build) / with the command that fixes them",
      value: `${tally.firstRun.tried} / ${tally.firstRun.actionable}`,
      expected: "all actionable",
      command: suiteCommand("recovery.test.ts"),
    });
  });
  beforeEach(() => emu.admin.reset());

  const args = (name: string, extra: Bag = {}): Bag => ({
    ...bagOf(templateArgs(emu.subscriptionId, RG, { imageTemplateName: name, subscriptionId: emu.subscriptionId })),
    ...extra,
  });
  const idOf = (name: string) =>
    `/subscriptions/${emu.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.VirtualMachineImages/imageTemplates/${name}`;
  const held = async () =>
    (await emu.admin.state()).templates.map((t) => [t.name, (t.properties as Bag).provisioningState]);

  it("returns the template when the operation monitor fails for good but the template reads back Succeeded", async () => {
    tally.polling.tried++;
    await emu.admin.injectFault({ method: "GET", path: "/operations/", kind: "error", count: 1000 });
    const { id, outs } = await provider.create({ ...args("poll-500"), __provider: "p" });
    assert.equal(id, idOf("poll-500"));
    assert.equal(outs.provisioningState, "Succeeded");
    assert.deepEqual(await held(), [["poll-500", "Succeeded"]]);
    tally.polling.recorded++;
  });

  it("fails with the id and partial state when nothing can be read back after an accepted PUT", async () => {
    tally.polling.tried++;
    // The existence check before the PUT goes through (a no-op "slow" rule takes it); every GET after is dropped.
    await emu.admin.injectFault({ method: "GET", path: "/imageTemplates/poll-down$", kind: "slow", delayMs: 0 });
    await emu.admin.injectFault({ method: "GET", path: ".*", kind: "drop", count: 1000 });
    const error = await provider.create({ ...args("poll-down"), __provider: "p" }).then(
      () => assert.fail("create must fail while nothing answers"),
      (e: Error & { id?: string; properties?: Bag }) => e,
    );
    assert.equal(error.id, idOf("poll-down"), error.message);
    assert.equal(error.properties?.imageTemplateName, "poll-down");
    assert.equal(error.properties?.resourceId, idOf("poll-down"), "the id among the recorded outputs");
    assert.equal(error.properties?.__provider, "p", "destroy needs the provider in the recorded state");
    assert.match(error.message, /was accepted but could not be read back; Pulumi records it/);
    await emu.admin.clearFaults();
    assert.deepEqual(await held(), [["poll-down", "Succeeded"]], "the template the state now knows");
    // The next up updates a resource recorded with partial state even without changes: it reads the template again.
    const news = { ...args("poll-down"), __provider: "p" };
    const { outs } = await provider.update(error.id!, error.properties!, news);
    assert.equal(outs?.provisioningState, "Succeeded");
    assert.equal(outs?.resourceId, idOf("poll-down"));
    tally.polling.recorded++;
  });

  it("fails without an id when the PUT itself was refused (nothing created)", async () => {
    await emu.admin.injectFault({ method: "PUT", path: "/imageTemplates/", kind: "error", count: 1000 });
    await assert.rejects(provider.create({ ...args("refused"), __provider: "p" }), (e: Error & { id?: string }) => {
      assert.equal(e.id, undefined);
      return true;
    });
    assert.deepEqual(await held(), []);
  });

  it("an unregistered subscription: the az provider register commands for every namespace Image Builder needs", async () => {
    tally.firstRun.tried++;
    await emu.admin.setRegistration(emu.subscriptionId, false);
    try {
      await assert.rejects(provider.create({ ...args("unregistered"), __provider: "p" }), (e: Error) => {
        assert.match(e.message, /MissingSubscriptionRegistration, HTTP 409/);
        assert.match(e.message, /not registered for the resource type 'imageTemplates'/);
        for (const ns of ["VirtualMachineImages", "Compute", "Storage", "Network", "KeyVault", "ContainerInstance"]) {
          assert.match(e.message, new RegExp(`az provider register --namespace Microsoft\\.${ns}\\b`));
        }
        assert.equal(e.message.split("\n").length, 1, "one line");
        return true;
      });
    } finally {
      await emu.admin.setRegistration(emu.subscriptionId, true);
    }
    tally.firstRun.actionable++;
  });

  it("a caller without rights: the role assignment naming who, what and where", async () => {
    tally.firstRun.tried++;
    await emu.admin.setRights(emu.subscriptionId, false);
    try {
      await assert.rejects(provider.create({ ...args("no-rights"), __provider: "p" }), (e: Error) => {
        assert.match(e.message, /AuthorizationFailed, HTTP 403/);
        const escape = (id: string) => id.replace(/\//g, "\\/");
        // ARM names the template, which a create has not made: the assignment goes on its resource group.
        const resourceGroup = `/subscriptions/${emu.subscriptionId}/resourceGroups/${RG}`;
        assert.ok(idOf("no-rights").startsWith(`${resourceGroup}/providers/`));
        assert.match(
          e.message,
          new RegExp(
            `lacks a role allowing Microsoft\\.VirtualMachineImages\\/imageTemplates\\/read on ${escape(idOf("no-rights"))}: grant one on its resource group, e\\.g\\. az role assignment create --assignee [0-9a-f-]{36} --role Contributor --scope ${escape(resourceGroup)}$`,
          ),
        );
        return true;
      });
    } finally {
      await emu.admin.setRights(emu.subscriptionId, true);
    }
    tally.firstRun.actionable++;
  });

  it("a provisioning failing because the identity may not read the source: the role to grant, nothing left behind", async () => {
    tally.firstRun.tried++;
    const identity = (args("x").identityUserAssignedIdentity as string[])[0];
    const image = `/subscriptions/${emu.subscriptionId}/resourceGroups/rg-images/providers/Microsoft.Compute/images/base`;
    const denied = args("unreadable", { source: { type: "ManagedImage", imageId: image } });
    await emu.admin.setIdentityAccess(identity, image, false);
    await assert.rejects(provider.create({ ...denied, __provider: "p" }), (e: Error & { id?: string }) => {
      assert.match(e.message, /provisioning error Other: Not authorized to access the resource: /);
      assert.ok(e.message.includes(`--role Reader --scope ${image}; then run pulumi up again.`), e.message);
      assert.equal(e.id, undefined);
      return true;
    });
    assert.deepEqual(await held(), []);
    await emu.admin.setIdentityAccess(identity, image, true);
    const { outs } = await provider.create({ ...denied, __provider: "p" });
    assert.equal(outs.provisioningState, "Succeeded");
    tally.firstRun.actionable++;
  });

  it("a build failing for the identity's rights: which identity needs which role where", async () => {
    tally.firstRun.tried++;
    const identity = (args("x").identityUserAssignedIdentity as string[])[0];
    const scope = `/subscriptions/${emu.subscriptionId}/resourceGroups/rg-images/providers/Microsoft.Compute/images/img`;
    await emu.admin.injectFault({
      method: "POST",
      path: "/imageTemplates/built/run$",
      kind: "failBuild",
      message: `Distribution failed: AuthorizationFailed: The client '3f0c' with object id '3f0c' does not have authorization to perform action 'Microsoft.Compute/images/write' over scope '${scope}' or the scope is invalid.`,
    });
    const error = await provider.create({ ...args("built", { build: { when: "onCreate" } }), __provider: "p" }).then(
      () => assert.fail("the build must fail"),
      (e: Error & { id?: string }) => e,
    );
    assert.equal(error.id, idOf("built"), "the template is recorded");
    assert.match(
      error.message,
      new RegExp(
        `Grant the template's identity ${identity.replace(/\//g, "\\/")} a role allowing Microsoft\\.Compute\\/images\\/write on ${scope.replace(/\//g, "\\/")}`,
      ),
    );
    assert.match(error.message, /az role assignment create --assignee-object-id \$\(az identity show --ids /);
    tally.firstRun.actionable++;
  });
});
