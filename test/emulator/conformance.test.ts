/**
 * Conformance: every example Microsoft publishes for API 2025-10-01 is replayed against the emulator; status code,
 * LRO headers and the documented response body's shape (every documented field present with the same JSON type)
 * are checked. Resources an example presupposes are seeded through the admin API from the example's own documented
 * responses.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator";
import { API, arm, settle, type AnyJson, type Arm, type RawResponse } from "./util";

const EXAMPLES_DIR = path.resolve(__dirname, "../../reference/imagebuilder-2025-10-01/examples");

interface Example {
  operationId: string;
  parameters: Record<string, AnyJson>;
  responses: Record<string, { body?: AnyJson; headers?: Record<string, string> }>;
}

/** Every documented field exists in `actual` with the same JSON type (arrays compared item by item). */
function assertShape(actual: unknown, documented: unknown, where = "body", skip: string[] = []): void {
  if (Array.isArray(documented)) {
    assert.ok(Array.isArray(actual), `${where} should be an array`);
    documented.forEach((d, i) =>
      assertShape((actual as unknown[])[Math.min(i, (actual as unknown[]).length - 1)], d, `${where}[${i}]`),
    );
    return;
  }
  if (documented !== null && typeof documented === "object") {
    assert.ok(actual !== null && typeof actual === "object" && !Array.isArray(actual), `${where} should be an object`);
    for (const [k, v] of Object.entries(documented)) {
      if (skip.includes(k)) continue;
      assert.ok(k in (actual as object), `${where}.${k} is documented but missing`);
      assertShape((actual as Record<string, unknown>)[k], v, `${where}.${k}`);
    }
    return;
  }
  assert.equal(typeof actual, typeof documented, `${where} should be a ${typeof documented}`);
}

describe("emulator: conformance with every published 2025-10-01 example", function () {
  let emu: TestEmulator;
  let a: Arm;
  const files = readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith(".json"));

  before(async () => {
    emu = await startTestEmulator({ lroDurationMs: 50, buildDurationMs: 300 });
    a = await arm(emu);
  });
  beforeEach(() => emu.admin.reset());
  after(async () => {
    a.close();
    await emu.stop();
  });

  /** The example with `{subscription-id}` replaced by the emulator's subscription. */
  const load = (file: string): Example =>
    JSON.parse(readFileSync(path.join(EXAMPLES_DIR, file), "utf8").replaceAll("{subscription-id}", emu.subscriptionId));

  const templateId = (p: Example["parameters"]) =>
    `/subscriptions/${emu.subscriptionId}/resourceGroups/${p.resourceGroupName}/providers/Microsoft.VirtualMachineImages/imageTemplates/${p.imageTemplateName}`;
  const url = (id: string, suffix = "") => `${id}${suffix}?${API}`;
  /** An id as the service returns it: the resource group segment in lower case, whatever the request spelt. */
  const served = (id: string) => id.replace("/resourceGroups/", "/resourcegroups/");

  /** Seeds a template from a documented GET-shaped body (the one from GetImageTemplate by default). */
  const seedTemplate = async (id: string, body?: Record<string, unknown>) =>
    emu.admin.putRaw(id, body ?? load("GetImageTemplate.json").responses["200"].body);

  const assertAsyncHeaders = (r: RawResponse, withLocation = false) => {
    const monitor = new RegExp(
      `^${emu.url.replaceAll(".", "\\.")}/subscriptions/${emu.subscriptionId}/providers/Microsoft\\.VirtualMachineImages/locations/[^/]+/operations/[0-9a-f-]+\\?api-version=2025-10-01$`,
    );
    assert.match(String(r.headers["azure-asyncoperation"]), monitor);
    assert.match(String(r.headers["retry-after"]), /^\d+$/);
    if (withLocation) assert.match(String(r.headers.location), monitor);
  };

  const runAndWait = async (id: string) => {
    const r = await a.request("POST", url(id, "/run"));
    assert.equal(r.status, 202);
    assertAsyncHeaders(r, true);
    assert.equal((await settle(a, r)).status, "Succeeded");
  };

  const handlers: Record<string, (ex: Example) => Promise<void>> = {
    async VirtualMachineImageTemplates_CreateOrUpdate(ex) {
      const id = templateId(ex.parameters);
      const r = await a.request("PUT", url(id), ex.parameters.parameters);
      assert.equal(r.status, 201);
      assertAsyncHeaders(r);
      assertShape(r.body, ex.responses["201"].body);
      assert.equal(r.body.properties.provisioningState, "Creating");
      assert.equal((await settle(a, r)).status, "Succeeded");
      const got = await a.request("GET", url(id));
      assert.equal(got.status, 200);
      assertShape(got.body, ex.responses["200"].body);
      assert.equal(got.body.properties.provisioningState, "Succeeded");
    },
    async VirtualMachineImageTemplates_Get(ex) {
      const id = templateId(ex.parameters);
      await seedTemplate(id, ex.responses["200"].body);
      const r = await a.request("GET", url(id));
      assert.equal(r.status, 200);
      assertShape(r.body, ex.responses["200"].body);
      assert.equal(r.body.id, served(id));
    },
    async VirtualMachineImageTemplates_List(ex) {
      for (const t of ex.responses["200"].body.value) await seedTemplate(t.id, t);
      const r = await a.request(
        "GET",
        `/subscriptions/${emu.subscriptionId}/providers/Microsoft.VirtualMachineImages/imageTemplates?${API}`,
      );
      assert.equal(r.status, 200);
      assertShape(r.body, ex.responses["200"].body, "body", ["nextLink"]);
      assert.deepEqual(
        r.body.value.map((t: { id: string }) => t.id),
        ex.responses["200"].body.value.map((t: { id: string }) => served(t.id)),
      );
    },
    async VirtualMachineImageTemplates_ListByResourceGroup(ex) {
      for (const t of ex.responses["200"].body.value) await seedTemplate(t.id, t);
      await seedTemplate(templateId({ resourceGroupName: "someOtherGroup", imageTemplateName: "elsewhere" }));
      const r = await a.request(
        "GET",
        `/subscriptions/${emu.subscriptionId}/resourceGroups/${ex.parameters.resourceGroupName}/providers/Microsoft.VirtualMachineImages/imageTemplates?${API}`,
      );
      assert.equal(r.status, 200);
      assertShape(r.body, ex.responses["200"].body, "body", ["nextLink"]);
      assert.equal(r.body.value.length, ex.responses["200"].body.value.length);
    },
    async VirtualMachineImageTemplates_Update(ex) {
      const id = templateId(ex.parameters);
      await seedTemplate(id);
      const r = await a.request("PATCH", url(id), ex.parameters.parameters);
      assert.equal(r.status, 202);
      assertAsyncHeaders(r);
      assert.equal((await settle(a, r)).status, "Succeeded");
      const got = await a.request("GET", url(id));
      const documented = ex.responses["200"].body;
      assertShape(got.body, documented, "body", documented.tags && !ex.parameters.parameters.tags ? ["tags"] : []);
      for (const k of ["tags", "identity"] as const) {
        if (ex.parameters.parameters[k])
          assert.deepEqual(
            got.body[k],
            documented[k] && k === "identity" && documented[k].type === "None"
              ? { type: "None" }
              : ex.parameters.parameters[k],
          );
      }
      if (ex.parameters.parameters.properties?.vmProfile) {
        assert.deepEqual(got.body.properties.vmProfile, ex.parameters.parameters.properties.vmProfile);
      }
    },
    async VirtualMachineImageTemplates_Delete(ex) {
      const id = templateId(ex.parameters);
      await seedTemplate(id);
      const r = await a.request("DELETE", url(id));
      assert.equal(r.status, 202);
      assertAsyncHeaders(r, true);
      assert.equal((await settle(a, r)).status, "Succeeded");
      assert.equal((await a.request("GET", url(id))).status, 404);
      assert.equal((await a.request("DELETE", url(id))).status, 204);
    },
    async VirtualMachineImageTemplates_Run(ex) {
      const id = templateId(ex.parameters);
      await seedTemplate(id);
      await runAndWait(id);
      assert.equal((await a.request("GET", url(id))).body.properties.lastRunStatus.runState, "Succeeded");
    },
    async VirtualMachineImageTemplates_Cancel(ex) {
      const id = templateId(ex.parameters);
      await seedTemplate(id);
      await emu.admin.setTiming({ buildDurationMs: 60_000 });
      const run = await a.request("POST", url(id, "/run"));
      assert.equal(run.status, 202);
      const r = await a.request("POST", url(id, "/cancel"));
      assert.equal(r.status, 202);
      assertAsyncHeaders(r);
      assert.equal((await settle(a, r)).status, "Succeeded");
      assert.equal((await settle(a, run)).status, "Canceled");
      assert.equal((await a.request("GET", url(id))).body.properties.lastRunStatus.runState, "Canceled");
      await emu.admin.setTiming({ buildDurationMs: 300 });
    },
    async VirtualMachineImageTemplates_ListRunOutputs(ex) {
      const id = templateId(ex.parameters);
      const documented = ex.responses["200"].body.value as { name: string; properties: { artifactId: string } }[];
      await seedOutputs(id, documented);
      await runAndWait(id);
      const r = await a.request("GET", url(id, "/runOutputs"));
      assert.equal(r.status, 200);
      assertShape(r.body, ex.responses["200"].body, "body", ["nextLink"]);
      assert.deepEqual(
        r.body.value.map((o: { name: string }) => o.name),
        documented.map((o) => o.name),
      );
      assert.match(
        r.body.value[1].properties.artifactId,
        /\/galleries\/[^/]+\/images\/[^/]+\/versions\/\d+\.\d+\.\d+$/,
      );
    },
    async VirtualMachineImageTemplates_GetRunOutput(ex) {
      const id = templateId(ex.parameters);
      await seedOutputs(id, [ex.responses["200"].body]);
      await runAndWait(id);
      const r = await a.request("GET", url(id, `/runOutputs/${ex.parameters.runOutputName}`));
      assert.equal(r.status, 200);
      assertShape(r.body, ex.responses["200"].body);
      assert.equal(r.body.properties.artifactId, ex.responses["200"].body.properties.artifactId);
    },
    async Triggers_CreateOrUpdate(ex) {
      const id = templateId(ex.parameters);
      await seedTemplate(id, floatingTemplate());
      const r = await a.request("PUT", url(id, `/triggers/${ex.parameters.triggerName}`), ex.parameters.parameters);
      assert.equal(r.status, 201);
      assertAsyncHeaders(r);
      assertShape(r.body, ex.responses["201"].body);
      assert.equal((await settle(a, r)).status, "Succeeded");
      const got = await a.request("GET", url(id, `/triggers/${ex.parameters.triggerName}`));
      assertShape(got.body, ex.responses["200"].body);
      assert.equal(got.body.properties.provisioningState, "Succeeded");
    },
    async Triggers_Get(ex) {
      const id = templateId(ex.parameters);
      await seedTemplate(id, floatingTemplate());
      await emu.admin.putRaw(`${id}/triggers/${ex.parameters.triggerName}`, ex.responses["200"].body);
      const r = await a.request("GET", url(id, `/triggers/${ex.parameters.triggerName}`));
      assert.equal(r.status, 200);
      assertShape(r.body, ex.responses["200"].body);
    },
    async Triggers_ListByImageTemplate(ex) {
      const id = templateId(ex.parameters);
      await seedTemplate(id, floatingTemplate());
      for (const tr of ex.responses["200"].body.value) await emu.admin.putRaw(tr.id, tr);
      const r = await a.request("GET", url(id, "/triggers"));
      assert.equal(r.status, 200);
      assertShape(r.body, ex.responses["200"].body, "body", ["nextLink"]);
    },
    async Triggers_Delete(ex) {
      const id = templateId(ex.parameters);
      await seedTemplate(id, floatingTemplate());
      const triggerUrl = url(id, `/triggers/${ex.parameters.triggerName}`);
      await emu.admin.putRaw(`${id}/triggers/${ex.parameters.triggerName}`, { properties: { kind: "SourceImage" } });
      const r = await a.request("DELETE", triggerUrl);
      assert.equal(r.status, 202);
      assertAsyncHeaders(r, true);
      assert.equal((await settle(a, r)).status, "Succeeded");
      assert.equal((await a.request("GET", triggerUrl)).status, 404);
      assert.equal((await a.request("DELETE", triggerUrl)).status, 204);
    },
    async Operations_List(ex) {
      const r = await a.request("GET", `/providers/Microsoft.VirtualMachineImages/operations?${API}`);
      assert.equal(r.status, 200);
      assertShape(r.body.value[0], ex.responses["200"].body.value[0]);
      assert.ok(
        r.body.value.some(
          (o: { name: string }) => o.name === "Microsoft.VirtualMachineImages/imageTemplates/run/action",
        ),
      );
    },
  };

  /** A template whose source floats ("latest"), as SourceImage triggers require. */
  function floatingTemplate() {
    const body = structuredClone(load("GetImageTemplate.json").responses["200"].body);
    body.properties.source = {
      type: "PlatformImage",
      publisher: "Canonical",
      offer: "ubuntu",
      sku: "server",
      version: "latest",
    };
    return body;
  }

  /** Seeds a template whose distributors produce run outputs with the documented names and artifact kinds. */
  async function seedOutputs(id: string, outputs: { name: string; properties: { artifactId: string } }[]) {
    const body = structuredClone(load("GetImageTemplate.json").responses["200"].body);
    body.properties.distribute = outputs.map((o) =>
      /\/galleries\//.test(o.properties.artifactId)
        ? {
            type: "SharedImage",
            runOutputName: o.name,
            galleryImageId: o.properties.artifactId.replace(/\/image ?versions\/.*$/i, ""),
          }
        : { type: "ManagedImage", runOutputName: o.name, imageId: o.properties.artifactId, location: "westus" },
    );
    await seedTemplate(id, body);
  }

  // Facts of the service's recorded answers (2022-2025) that the published examples do not show.
  it("answers as the service does: lower-case resourcegroups ids, filled-in defaults, run with both monitors", async () => {
    const body = structuredClone(load("CreateImageTemplateLinux.json").parameters.parameters);
    delete body.tags;
    for (const [i, rg] of ["resourceGroups", "RESOURCEGROUPS", "resourcegroups"].entries()) {
      const id = `/subscriptions/${emu.subscriptionId}/${rg}/rg-Case/providers/Microsoft.VirtualMachineImages/imageTemplates/t${i}`;
      const expected = `/subscriptions/${emu.subscriptionId}/resourcegroups/rg-Case/providers/Microsoft.VirtualMachineImages/imageTemplates/t${i}`;
      const put = await a.request("PUT", url(id), body);
      assert.equal(put.status, 201);
      assert.equal(put.body.id, expected);
      await settle(a, put);
      const got = await a.request("GET", url(id));
      assert.equal(got.body.id, expected);
      assert.deepEqual(got.body.tags, {});
      assert.equal(got.body.properties.buildTimeoutInMinutes, 0);
      assert.equal(got.body.properties.stagingResourceGroup, "");
      const run = await a.request("POST", url(id, "/run"));
      assert.equal(run.status, 202);
      assertAsyncHeaders(run, true);
      assert.equal((await settle(a, run)).status, "Succeeded");
      const outputs = await a.request("GET", url(id, "/runOutputs"));
      assert.ok(outputs.body.value.every((o: { id: string }) => o.id.startsWith(`${expected}/runOutputs/`)));
    }
    const listed = await a.request(
      "GET",
      `/subscriptions/${emu.subscriptionId}/resourceGroups/rg-Case/providers/Microsoft.VirtualMachineImages/imageTemplates?${API}`,
    );
    assert.deepEqual(
      listed.body.value.map((t: { id: string }) => t.id.includes("/resourcegroups/rg-Case/")),
      [true, true, true],
    );
  });

  it("has a replay for every example file", () => {
    const missing = files
      .map(load)
      .filter((ex) => !handlers[ex.operationId])
      .map((ex) => ex.operationId);
    assert.deepEqual(missing, []);
    assert.ok(files.length >= 18);
  });

  for (const file of readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith(".json"))) {
    it(`replays ${file}`, async () => {
      const ex = load(file);
      await handlers[ex.operationId](ex);
    });
  }
});
