import assert from "node:assert/strict";
import type { ImageTemplate } from "@azure/arm-imagebuilder";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator";
import { API, arm, settle, templateBody, templatePath, waitFor, type Arm } from "./util";

describe("emulator: fault injection", function () {
  let emu: TestEmulator;
  let a: Arm;
  let sub: string;
  before(async () => {
    emu = await startTestEmulator({ lroDurationMs: 30, buildDurationMs: 300 });
    a = await arm(emu);
    sub = emu.subscriptionId;
  });
  beforeEach(() => emu.admin.reset());
  after(async () => {
    a.close();
    await emu.stop();
  });

  const listPath = () => `/subscriptions/${sub}/providers/Microsoft.VirtualMachineImages/imageTemplates?${API}`;

  it("throttles the next N matching requests with 429, Retry-After and an ARM body", async () => {
    await emu.admin.injectFault({
      method: "GET",
      path: "/imageTemplates$",
      kind: "throttle",
      count: 2,
      retryAfterSeconds: 7,
    });
    for (let i = 0; i < 2; i++) {
      const r = await a.request("GET", listPath());
      assert.equal(r.status, 429);
      assert.equal(r.headers["retry-after"], "7");
      assert.equal(r.body.error.code, "TooManyRequests");
    }
    assert.equal((await a.request("GET", listPath())).status, 200);
    assert.deepEqual(await emu.admin.faults(), []);
  });

  it("returns transient 500 and 503 errors", async () => {
    await emu.admin.injectFault({ path: "/imageTemplates$", kind: "error" });
    await emu.admin.injectFault({ path: "/imageTemplates$", kind: "error", status: 503 });
    const first = await a.request("GET", listPath());
    assert.deepEqual([first.status, first.body.error.code], [500, "InternalServerError"]);
    const second = await a.request("GET", listPath());
    assert.deepEqual([second.status, second.body.error.code], [503, "ServiceUnavailable"]);
  });

  it("only matches the given method", async () => {
    await emu.admin.injectFault({ method: "PUT", path: ".*", kind: "error" });
    assert.equal((await a.request("GET", listPath())).status, 200);
    assert.equal((await emu.admin.faults()).length, 1);
  });

  it("drops connections without a response", async () => {
    await emu.admin.injectFault({ path: "/imageTemplates$", kind: "drop" });
    await assert.rejects(a.request("GET", listPath()), /socket hang up|ECONNRESET/);
    assert.equal((await a.request("GET", listPath())).status, 200);
    const log = await emu.admin.requests();
    assert.deepEqual(
      log.filter((e) => e.kind === "arm").map((e) => e.status),
      [0, 200],
    );
  });

  it("delays slow requests", async () => {
    await emu.admin.injectFault({ path: "/imageTemplates$", kind: "slow", delayMs: 300 });
    const started = Date.now();
    assert.equal((await a.request("GET", listPath())).status, 200);
    assert.ok(Date.now() - started >= 290);
  });

  it("fails provisioning: template Failed with provisioningError Other, operation Failed with Unauthorized", async () => {
    await emu.admin.injectFault({
      method: "PUT",
      path: "/imageTemplates/doomed$",
      kind: "failProvisioning",
      message: "source image not found",
    });
    const r = await a.request("PUT", templatePath(sub, "rg", "doomed"), templateBody(sub));
    assert.equal(r.status, 201);
    const op = await settle(a, r);
    // The recorded failure's codes: the operation's "Unauthorized" is not the template's provisioningErrorCode "Other".
    assert.deepEqual(op.error, { code: "Unauthorized", message: "source image not found" });
    assert.equal(op.status, "Failed");
    const t = (await a.request("GET", templatePath(sub, "rg", "doomed"))).body;
    assert.equal(t.properties.provisioningState, "Failed");
    assert.deepEqual(t.properties.provisioningError, {
      provisioningErrorCode: "Other",
      message: "source image not found",
    });
    // A failed template can be deleted.
    assert.equal((await settle(a, await a.request("DELETE", templatePath(sub, "rg", "doomed")))).status, "Succeeded");

    // Without a message: the service's text for the first resource the template names (here the distribution's image).
    await emu.admin.injectFault({ method: "PUT", path: "/imageTemplates/doomed$", kind: "failProvisioning" });
    const again = await settle(a, await a.request("PUT", templatePath(sub, "rg", "doomed"), templateBody(sub)));
    assert.deepEqual(again.error, {
      code: "Unauthorized",
      message: `Not authorized to access the resource: /subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Compute/images/out. Please check the user assigned identity has the correct permissions. For more details, go to https://aka.ms/azvmimagebuilderts.`,
    });
  });

  it("fails builds: runState Failed with a message, run LRO Failed, no outputs", async () => {
    await settle(a, await a.request("PUT", templatePath(sub, "rg", "t"), templateBody(sub)));
    await emu.admin.injectFault({ method: "POST", path: "/run$", kind: "failBuild" });
    const run = await a.request("POST", templatePath(sub, "rg", "t", "/run"));
    const op = await settle(a, run);
    assert.equal(op.status, "Failed");
    assert.equal(op.error?.code, "PackerBuildFailed");
    assert.match(
      op.error?.message ?? "",
      /^During the image build a failure has occurred\. Packer build logs are at location /,
    );
    const status = (await a.request("GET", templatePath(sub, "rg", "t"))).body.properties.lastRunStatus;
    assert.equal(status.runState, "Failed");
    assert.match(
      status.message,
      /^PackerBuildFailed: .*\/resourceGroups\/IT_rg_t_[^/]+\/providers\/Microsoft\.Storage\/storageAccounts\/[a-z0-9]{24}\/blobServices\/default\/containers\/packerlogs\/[0-9a-f-]{36}\/customization\.log\. Use this operationId [0-9a-f-]{36} to search packer logs\./,
    );
    assert.deepEqual((await a.request("GET", templatePath(sub, "rg", "t", "/runOutputs"))).body.value, []);
    // The next run (no fault left) succeeds.
    assert.equal((await settle(a, await a.request("POST", templatePath(sub, "rg", "t", "/run")))).status, "Succeeded");
  });

  it("partly fails builds: runState PartiallySucceeded with the message, the failed distribution has no output", async () => {
    const distribute = [
      {
        type: "ManagedImage",
        runOutputName: "mi",
        imageId: "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/images/i",
        location: "westus",
      },
      { type: "VHD", runOutputName: "vhd" },
    ];
    await settle(
      a,
      await a.request("PUT", templatePath(sub, "rg", "t"), templateBody(sub, { properties: { distribute } })),
    );
    await emu.admin.injectFault({ method: "POST", path: "/run$", kind: "partialBuild" });
    const op = await settle(a, await a.request("POST", templatePath(sub, "rg", "t", "/run")));
    assert.equal(op.status, "Succeeded", "the run action itself completes");
    const status = (await a.request("GET", templatePath(sub, "rg", "t"))).body.properties.lastRunStatus;
    assert.equal(status.runState, "PartiallySucceeded");
    assert.equal(status.message, 'Distribution of run output "vhd" failed: the target could not be reached.');
    assert.ok(status.endTime);
    const outputs = (await a.request("GET", templatePath(sub, "rg", "t", "/runOutputs"))).body.value;
    assert.deepEqual(
      outputs.map((o: { name: string }) => o.name),
      ["mi"],
    );
    const missing = await a.request("GET", templatePath(sub, "rg", "t", "/runOutputs/vhd"));
    assert.equal(missing.status, 404);
  });

  it("reset brings back a fresh start: start timing, registrations and rights, no faults or resources", async () => {
    await settle(a, await a.request("PUT", templatePath(sub, "rg", "t"), templateBody(sub)));
    const started = await emu.admin.setTiming({});
    await emu.admin.setTiming({ lroDurationMs: 5000, buildDurationMs: 5000 });
    await emu.admin.setRegistration(sub, false);
    await emu.admin.setRights(sub, false);
    await emu.admin.injectFault({ path: "/run$", kind: "failBuild" });
    await emu.admin.reset();
    assert.deepEqual(await emu.admin.setTiming({}), started);
    assert.deepEqual(await emu.admin.faults(), []);
    assert.deepEqual((await emu.admin.state()).templates, []);
    const created = await a.request("PUT", templatePath(sub, "rg", "t"), templateBody(sub));
    assert.equal(created.status, 201, "registered and allowed again");
  });

  it("lets the real SDK pollers ride out throttling and transient errors", async () => {
    const client = emu.client();
    await emu.admin.injectFault({ method: "GET", path: "/operations/", kind: "throttle", retryAfterSeconds: 0 });
    await emu.admin.injectFault({ method: "GET", path: "/operations/", kind: "error", status: 503 });
    const body = templateBody(sub);
    const created = await client.virtualMachineImageTemplates.createOrUpdate(
      "rg",
      "sdk",
      { location: body.location, identity: body.identity, ...body.properties } as ImageTemplate,
      emu.poll,
    );
    assert.equal(created.provisioningState, "Succeeded");
    const statuses = (await emu.admin.requests()).filter((e) => e.path.includes("/operations/")).map((e) => e.status);
    assert.deepEqual(statuses.slice(0, 2), [429, 503]);
    assert.equal(statuses.at(-1), 200);
  });

  it("counts requests precisely and clears the log", async () => {
    await emu.admin.clearRequests();
    assert.deepEqual(await emu.admin.requests(), []);
    await a.request("GET", listPath());
    await waitFor(
      () => emu.admin.requests(),
      (l) => l.length === 1,
    );
    const [entry] = await emu.admin.requests();
    assert.deepEqual([entry.kind, entry.method, entry.status], ["arm", "GET", 200]);
    assert.equal(entry.path, `/subscriptions/${sub}/providers/Microsoft.VirtualMachineImages/imageTemplates`);
  });
});
