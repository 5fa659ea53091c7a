import assert from "node:assert/strict";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator";
import { API, arm, frozenClock, settle, templateBody, templatePath, waitFor, type AnyJson, type Arm } from "./util";

const CONFLICT =
  "Update/Upgrade of image templates is currently not supported. Please change the name of the template you are submitting. If you have previously tried to submit a template and it failed to provision, you must delete it first and then resubmit. For more information, go to https://aka.ms/azvmimagebuilderts.";

const LRO_MS = 50;

describe("emulator: service error rules", function () {
  let emu: TestEmulator;
  let a: Arm;
  let sub: string;
  before(async () => {
    emu = await startTestEmulator({ lroDurationMs: LRO_MS, buildDurationMs: 400, pageSize: 2 });
    a = await arm(emu);
    sub = emu.subscriptionId;
  });
  beforeEach(() => emu.admin.reset());
  after(async () => {
    a.close();
    await emu.stop();
  });

  const put = (name: string, body: unknown = templateBody(sub)) =>
    a.request("PUT", templatePath(sub, "rg", name), body);
  const expectError = async (
    p: Promise<{ status: number; body: AnyJson }>,
    status: number,
    code: string,
    message?: RegExp | string,
  ) => {
    const r = await p;
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.equal(r.body.error.code, code);
    if (typeof message === "string") assert.equal(r.body.error.message, message);
    else if (message) assert.match(r.body.error.message, message);
  };

  it("requires api-version 2025-10-01", async () => {
    const base = `/subscriptions/${sub}/providers/Microsoft.VirtualMachineImages/imageTemplates`;
    await expectError(a.request("GET", base), 400, "MissingApiVersionParameter");
    await expectError(
      a.request("GET", `${base}?api-version=2024-02-01`),
      400,
      "InvalidApiVersionParameter",
      "The api-version '2024-02-01' is invalid. The supported versions are '2025-10-01'.",
    );
  });

  it("enforces the name pattern", async () => {
    await expectError(put("bad name!"), 400, "ValidationFailed", /\^\[A-Za-z0-9-_\.\]\{1,64\}\$/);
    await expectError(put("x".repeat(65)), 400, "ValidationFailed");
    assert.equal((await put("ok-name_1.2")).status, 201);
  });

  it("requires location, identity, source and distribute", async () => {
    for (const [field, mutate] of [
      ["location", (b: AnyJson) => delete b.location],
      ["identity", (b: AnyJson) => delete b.identity],
      ["source", (b: AnyJson) => delete b.properties.source],
      ["distribute", (b: AnyJson) => delete b.properties.distribute],
    ] as const) {
      const body = templateBody(sub);
      mutate(body);
      await expectError(put("t", body), 400, "ValidationFailed", new RegExp(`Missing field '${field}'`));
    }
  });

  it("checks discriminators of source, customizer, validator and distributor", async () => {
    const cases: Record<string, unknown>[] = [
      { source: { type: "Marketplace" } },
      { customize: [{ type: "Bash", inline: ["x"] }] },
      { validate: { inVMValidations: [{ type: "Python" }] } },
      { distribute: [{ type: "Blob", runOutputName: "x" }] },
    ];
    for (const properties of cases) {
      await expectError(put("t", templateBody(sub, { properties })), 400, "ValidationFailed", /bad value/);
    }
  });

  it("rejects unknown and mis-cased fields", async () => {
    await expectError(
      put("t", templateBody(sub, { properties: { vmboot: {} } })),
      400,
      "ValidationFailed",
      /unknown field "vmboot"/,
    );
    await expectError(
      put("t", templateBody(sub, { properties: { customize: [{ type: "Shell", Inline: ["x"] }] } })),
      400,
      "ValidationFailed",
      /unknown field "Inline"/,
    );
    await expectError(
      put("t", { ...templateBody(sub), apiVersion: "2025-10-01" }),
      400,
      "ValidationFailed",
      /unknown field "apiVersion"/,
    );
    await expectError(a.request("PUT", templatePath(sub, "rg", "t"), "{not json"), 400, "InvalidRequestContent");
  });

  it("refuses any PUT onto an existing template (even identical, even Failed) with 409 Conflict", async () => {
    assert.equal((await put("t")).status, 201);
    await expectError(put("t"), 409, "Conflict", CONFLICT);
    await expectError(put("t", templateBody(sub, { tags: { changed: "yes" } })), 409, "Conflict", CONFLICT);
    await emu.admin.injectFault({ method: "PUT", path: "/imageTemplates/failed$", kind: "failProvisioning" });
    const failed = await put("failed");
    assert.equal((await settle(a, failed)).status, "Failed");
    await expectError(put("failed"), 409, "Conflict", CONFLICT);
  });

  it("PATCH accepts tags, identity, vmProfile and distribute only", async () => {
    const created = await put("t");
    await settle(a, created);
    const patch = (body: unknown) => a.request("PATCH", templatePath(sub, "rg", "t"), body);
    await expectError(patch({ location: "eastus" }), 400, "InvalidParameter", /'location' cannot be updated/);
    await expectError(
      patch({ properties: { source: { type: "ManagedImage", imageId: "/x" } } }),
      400,
      "InvalidParameter",
      /'properties\.source' cannot be updated/,
    );
    await expectError(patch({ properties: { buildTimeoutInMinutes: 30 } }), 400, "InvalidParameter");
    const ok = await patch({
      identity: { type: "None" },
      properties: { distribute: [{ type: "VHD", runOutputName: "vhd" }], vmProfile: { osDiskSizeGB: 64 } },
    });
    assert.equal(ok.status, 202);
    assert.equal((await settle(a, ok)).status, "Succeeded");
    const got = await a.request("GET", templatePath(sub, "rg", "t"));
    assert.deepEqual(got.body.identity, { type: "None" });
    // With what the service fills in: artifactTags {}, the vmSize not sent as "".
    assert.deepEqual(got.body.properties.distribute, [{ type: "VHD", runOutputName: "vhd", artifactTags: {} }]);
    assert.deepEqual(got.body.properties.vmProfile, { osDiskSizeGB: 64, vmSize: "" });
    await expectError(a.request("PATCH", templatePath(sub, "rg", "missing"), { tags: {} }), 404, "ResourceNotFound");
  });

  it("refuses delete while building, run/cancel in the wrong state, delete while creating", async () => {
    // The clock stands still between steps, so each state lasts exactly as long as the test needs it.
    const clock = frozenClock();
    try {
      const created = await put("t");
      await expectError(
        a.request("DELETE", templatePath(sub, "rg", "t")),
        409,
        "OperationNotAllowed",
        "Operation 'DELETE' is not allowed in provisioningState: 'creating'",
      );
      clock.advance(LRO_MS);
      await settle(a, created);
      await expectError(
        a.request("POST", templatePath(sub, "rg", "t", "/cancel")),
        409,
        "OperationNotAllowed",
        /imageTemplates\/cancel\/action is not allowed in provisioning state: provisioned or run state: \.$/,
      );
      assert.equal((await a.request("POST", templatePath(sub, "rg", "t", "/run"))).status, 202);
      await expectError(
        a.request("DELETE", templatePath(sub, "rg", "t")),
        409,
        "OperationNotAllowed",
        "Operation Microsoft.VirtualMachineImages/imageTemplates/delete is not allowed in provisioning state: provisioned or run state: running.",
      );
      await expectError(
        a.request("POST", templatePath(sub, "rg", "t", "/run")),
        409,
        "OperationNotAllowed",
        /run state: running\.$/,
      );
      assert.equal((await a.request("POST", templatePath(sub, "rg", "t", "/cancel"))).status, 204);
      await expectError(
        a.request("POST", templatePath(sub, "rg", "t", "/cancel")),
        409,
        "OperationNotAllowed",
        /run state: canceling\.$/,
      );

      await emu.admin.injectFault({ method: "PUT", path: "/imageTemplates/broken$", kind: "failProvisioning" });
      const broken = await put("broken");
      clock.advance(LRO_MS);
      await settle(a, broken);
      await expectError(
        a.request("POST", templatePath(sub, "rg", "broken", "/run")),
        409,
        "OperationNotAllowed",
        /^Operation Microsoft\.VirtualMachineImages\/imageTemplates\/run is not allowed in provisioning state: failed or run state/,
      );
    } finally {
      await clock.release();
    }
  });

  it("answers 404 ResourceNotFound for missing resources and 204 for deleting them", async () => {
    await expectError(
      a.request("GET", templatePath(sub, "rg", "nope")),
      404,
      "ResourceNotFound",
      "The Resource 'Microsoft.VirtualMachineImages/imageTemplates/nope' under resource group 'rg' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    );
    await expectError(a.request("GET", templatePath(sub, "rg", "nope", "/runOutputs")), 404, "ResourceNotFound");
    await expectError(a.request("POST", templatePath(sub, "rg", "nope", "/run")), 404, "ResourceNotFound");
    assert.equal((await a.request("DELETE", templatePath(sub, "rg", "nope"))).status, 204);
    const created = await put("t");
    await settle(a, created);
    await expectError(a.request("GET", templatePath(sub, "rg", "t", "/runOutputs/none")), 404, "ResourceNotFound");
    await expectError(a.request("GET", templatePath(sub, "rg", "t", "/triggers/none")), 404, "ResourceNotFound");
    await expectError(
      a.request("GET", `/subscriptions/${sub}/providers/Microsoft.VirtualMachineImages/widgets?${API}`),
      404,
      "InvalidResourceType",
    );
  });

  it("treats names case-insensitively and keeps resource groups apart", async () => {
    await settle(a, await put("Mixed"));
    assert.equal((await a.request("GET", templatePath(sub, "RG", "mixed"))).body.name, "Mixed");
    await settle(a, await a.request("PUT", templatePath(sub, "other-rg", "t"), templateBody(sub)));
    const inRg = await a.request(
      "GET",
      `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.VirtualMachineImages/imageTemplates?${API}`,
    );
    assert.deepEqual(
      inRg.body.value.map((t: { name: string }) => t.name),
      ["Mixed"],
    );
  });

  it("pages lists with nextLink", async () => {
    for (const n of ["a", "b", "c", "d", "e"]) assert.equal((await put(n)).status, 201);
    const names: string[] = [];
    let next: string | undefined =
      `/subscriptions/${sub}/providers/Microsoft.VirtualMachineImages/imageTemplates?${API}`;
    let pages = 0;
    while (next) {
      const r = await a.request("GET", next);
      assert.ok(r.body.value.length <= 2);
      names.push(...r.body.value.map((t: { name: string }) => t.name));
      next = r.body.nextLink;
      pages++;
    }
    assert.deepEqual(names, ["a", "b", "c", "d", "e"]);
    assert.equal(pages, 3);
  });

  it("only lets SourceImage triggers onto templates with a floating source", async () => {
    await settle(
      a,
      await put("pinned", templateBody(sub, { properties: { source: { type: "ManagedImage", imageId: "/x" } } })),
    );
    await expectError(
      a.request("PUT", templatePath(sub, "rg", "pinned", "/triggers/source"), { properties: { kind: "SourceImage" } }),
      400,
      "InvalidParameter",
      /latest/,
    );
    await settle(a, await put("floating"));
    await expectError(
      a.request("PUT", templatePath(sub, "rg", "floating", "/triggers/source"), { properties: { kind: "Schedule" } }),
      400,
      "ValidationFailed",
    );
    const tr = await a.request("PUT", templatePath(sub, "rg", "floating", "/triggers/source"), {
      properties: { kind: "SourceImage" },
    });
    assert.equal(tr.status, 201);
    await settle(a, tr);
    await expectError(
      a.request("PUT", templatePath(sub, "rg", "floating", "/triggers/second"), {
        properties: { kind: "SourceImage" },
      }),
      400,
      "InvalidParameter",
      /only one trigger/,
    );
    // Deleting the template takes its triggers with it.
    await settle(a, await a.request("DELETE", templatePath(sub, "rg", "floating")));
    await waitFor(
      () => emu.admin.state(),
      (s) => s.triggers.length === 0,
    );
  });
});
