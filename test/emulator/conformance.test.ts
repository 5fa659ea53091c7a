/**
 * Conformance: every example Microsoft publishes for API 2025-10-01 is replayed against the emulator; status code,
 * LRO headers and the documented response body's shape (every documented field present with the same JSON type)
 * are checked. Resources an example presupposes are seeded through the admin API from the example's own documented
 * responses. Then each fact of the service's recorded answers (the project's notes on real traffic, quoted in the test
 * titles) that API 2025-10-01 allows and the published examples do not show.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator";
import { API, arm, frozenClock, settle, templateBody, type AnyJson, type Arm, type RawResponse } from "./util";

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
    // "No AIB answer in 253 recorded exchanges (2020-2025) carries Retry-After."
    assert.equal(r.headers["retry-after"], undefined);
    if (withLocation) assert.equal(r.headers.location, r.headers["azure-asyncoperation"]);
    else assert.equal(r.headers.location, undefined);
  };

  /** "204, no body, no Content-Type, no LRO headers" (cancel; a trigger's DELETE as recorded in 2023 and 2025). */
  const assertNoContent = (r: RawResponse) => {
    assert.equal(r.status, 204);
    assert.equal(r.body, undefined);
    for (const h of ["content-type", "azure-asyncoperation", "location", "retry-after"]) {
      assert.equal(r.headers[h], undefined, h);
    }
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
      // "at 2023-07-01 a 202 with no body and both Azure-AsyncOperation and Location (same operation)"
      assert.equal(r.status, 202);
      assert.equal(r.body, undefined);
      assertAsyncHeaders(r, true);
      assert.equal((await settle(a, r)).status, "Succeeded");
      const got = await a.request("GET", url(id));
      const documented = ex.responses["200"].body;
      assertShape(got.body, documented, "body", documented.tags && !ex.parameters.parameters.tags ? ["tags"] : []);
      // Every member the example's PATCH sends must read back as sent (no assertion left behind a condition).
      const sent = ex.parameters.parameters;
      const updated: [string, unknown, unknown][] = [
        ...(["tags", "identity"] as const)
          .filter((k) => sent[k] !== undefined)
          .map((k): [string, unknown, unknown] => [
            k,
            got.body[k],
            k === "identity" && documented.identity?.type === "None" ? { type: "None" } : sent[k],
          ]),
        ...Object.entries(sent.properties ?? {}).map(([k, v]): [string, unknown, unknown] => [
          `properties.${k}`,
          got.body.properties[k],
          v,
        ]),
      ];
      assert.notEqual(updated.length, 0, "the example updates nothing");
      for (const [member, actual, expected] of updated) assert.deepEqual(actual, expected, member);
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
      assertNoContent(r);
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
      // "Trigger PUT response: only {kind, provisioningState: "Creating"} under properties (no status yet)".
      const documented = structuredClone(ex.responses["201"].body);
      delete documented.properties.status;
      assertShape(r.body, documented);
      assert.deepEqual(r.body.properties, { kind: "SourceImage", provisioningState: "Creating" });
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
      // "DELETE (trigger): 202 with both headers (2024) or 204 with none (2023, 2025)": 204 by default.
      assertNoContent(await a.request("DELETE", triggerUrl));
      assert.equal((await a.request("GET", triggerUrl)).status, 404);
      assert.equal((await a.request("DELETE", triggerUrl)).status, 204);
    },
    async Operations_List(ex) {
      const r = await a.request("GET", `/providers/Microsoft.VirtualMachineImages/operations?${API}`);
      assert.equal(r.status, 200);
      // "13 entries {name, display: {provider: "Virtual Machine Image Builder", resource, operation, description
      // (== operation)}, isDataAction: false}": the example's own, texts and order.
      assert.deepEqual(r.body, ex.responses["200"].body);
      assert.equal(r.body.value.length, 13);
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

  describe("answers as the real service's recorded traffic shows (real-service-answers.md)", () => {
    const LRO_MS = 50;
    const GUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
    const idIn = (rg: string, name: string) => templateId({ resourceGroupName: rg, imageTemplateName: name });
    const create = (id: string, properties: Record<string, unknown> = {}) =>
      a.request("PUT", url(id), templateBody(emu.subscriptionId, { properties }));
    const identityId = () => Object.keys(templateBody(emu.subscriptionId).identity.userAssignedIdentities)[0] as string;
    /** A template (Succeeded) whose build runs long, built with the clock held still. */
    const building = async (id: string, clock: ReturnType<typeof frozenClock>) => {
      const put = await create(id);
      clock.advance(LRO_MS);
      await settle(a, put);
      await emu.admin.setTiming({ buildDurationMs: 60_000 });
      return a.request("POST", url(id, "/run"));
    };

    it('"Staging group created by the service: IT_ + the first 40 characters of <resourceGroup>_<templateName> + _ + a GUID: never more than 80 characters"', async () => {
      const rg = "rg-with-a-rather-long-name-for-staging";
      const id = idIn(rg, "template-of-a-long-name");
      const put = await create(id);
      await settle(a, put);
      const staging = (await a.request("GET", url(id))).body.properties.exactStagingResourceGroup as string;
      const kept = `${rg}_template-of-a-long-name`.slice(0, 40);
      assert.equal(kept, "rg-with-a-rather-long-name-for-staging_t");
      assert.match(staging, new RegExp(`^/subscriptions/${emu.subscriptionId}/resourceGroups/IT_${kept}_${GUID}$`));
      assert.equal(staging.split("/").at(-1)!.length, 80);
      // A short pair is kept whole.
      await settle(a, await create(idIn("rg", "t")));
      const short = (await a.request("GET", url(idIn("rg", "t")))).body.properties.exactStagingResourceGroup;
      assert.match(short, new RegExp(`/resourceGroups/IT_rg_t_${GUID}$`));
    });

    it('"exactStagingResourceGroup is "" in every PUT response (even with stagingResourceGroup given); after provisioning it is the group\'s id, with a leading / added when the caller\'s stagingResourceGroup had none. stagingResourceGroup itself is echoed verbatim."', async () => {
      const given = `subscriptions/${emu.subscriptionId}/resourceGroups/my-staging`;
      for (const [name, stagingResourceGroup] of [
        ["no-slash", given],
        ["slash", `/${given}`],
        ["none", undefined],
      ] as const) {
        const id = idIn("rg", name);
        const put = await create(id, stagingResourceGroup ? { stagingResourceGroup } : {});
        assert.equal(put.status, 201);
        assert.equal(put.body.properties.exactStagingResourceGroup, "", name);
        assert.equal(put.body.properties.stagingResourceGroup, stagingResourceGroup ?? "", name);
        await settle(a, put);
        const got = (await a.request("GET", url(id))).body.properties;
        assert.equal(got.stagingResourceGroup, stagingResourceGroup ?? "", name);
        if (stagingResourceGroup) assert.equal(got.exactStagingResourceGroup, `/${given}`, name);
        else assert.match(got.exactStagingResourceGroup, /\/resourceGroups\/IT_rg_none_/);
      }
    });

    it('"POST cancel: 204, no body, no Content-Type, no LRO headers. Right after it lastRunStatus is {startTime, endTime: "0001-01-01T00:00:00Z", runState: "Canceling", message: "Canceling image build"} with no runSubState"', async () => {
      const clock = frozenClock();
      try {
        const id = idIn("rg", "t");
        const run = await building(id, clock);
        clock.advance(10);
        const startTime = (await a.request("GET", url(id))).body.properties.lastRunStatus.startTime;
        assertNoContent(await a.request("POST", url(id, "/cancel")));
        assert.deepEqual((await a.request("GET", url(id))).body.properties.lastRunStatus, {
          startTime,
          endTime: "0001-01-01T00:00:00Z",
          runState: "Canceling",
          message: "Canceling image build",
        });
        clock.advance(LRO_MS);
        assert.equal((await settle(a, run)).status, "Canceled");
        const ended = (await a.request("GET", url(id))).body.properties.lastRunStatus;
        assert.equal(ended.runState, "Canceled");
        assert.equal(ended.endTime, new Date(Date.now()).toISOString());
      } finally {
        await clock.release();
      }
    });

    it('"lastRunStatus right after run: {startTime, endTime: "0001-01-01T00:00:00Z", runState: "Running", runSubState: "Queued" or "Building", message: ""}: endTime is the zero date while running"', async () => {
      const clock = frozenClock();
      try {
        // The suite's builds take 300 ms: Queued, Building, Customizing, Distributing, 75 ms each.
        const id = idIn("rg", "t");
        const put = await create(id);
        clock.advance(LRO_MS);
        await settle(a, put);
        const run = await a.request("POST", url(id, "/run"));
        assert.deepEqual((await a.request("GET", url(id))).body.properties.lastRunStatus, {
          startTime: new Date(Date.now()).toISOString(),
          endTime: "0001-01-01T00:00:00Z",
          runState: "Running",
          runSubState: "Queued",
          message: "",
        });
        clock.advance(80);
        const later = (await a.request("GET", url(id))).body.properties.lastRunStatus;
        assert.deepEqual([later.runSubState, later.endTime], ["Building", "0001-01-01T00:00:00Z"]);
        clock.advance(300);
        assert.equal((await settle(a, run)).status, "Succeeded");
        const done = (await a.request("GET", url(id))).body.properties.lastRunStatus;
        assert.deepEqual(
          [done.runState, done.endTime],
          ["Succeeded", new Date(Date.parse(done.startTime) + 300).toISOString()],
        );
      } finally {
        await clock.release();
      }
    });

    it('"Operation status bodies have exactly name (the operation GUID in UPPER case), status, startTime, endTime (only once finished) and, on failure, error: {code, message}. Never an id."', async () => {
      const clock = frozenClock();
      try {
        const put = await create(idIn("rg", "t"));
        const monitor = String(put.headers["azure-asyncoperation"]);
        const guid = /\/operations\/([^?]+)\?/.exec(monitor)![1];
        const running = (await a.request("GET", monitor)).body;
        assert.deepEqual(running, { name: guid.toUpperCase(), status: "InProgress", startTime: running.startTime });
        assert.match(running.name, /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
        clock.advance(LRO_MS);
        const done = (await a.request("GET", monitor)).body;
        assert.deepEqual(Object.keys(done), ["name", "status", "startTime", "endTime"]);
        assert.equal(done.status, "Succeeded");
        // The monitor answers by the GUID in either casing.
        assert.deepEqual((await a.request("GET", monitor.replace(guid, guid.toUpperCase()))).body, done);

        await emu.admin.setIdentityAccess(
          identityId(),
          `/subscriptions/${emu.subscriptionId}/resourceGroups/rg`,
          false,
        );
        const failing = await create(idIn("rg", "denied"));
        clock.advance(LRO_MS);
        const failed = (await a.request("GET", String(failing.headers["azure-asyncoperation"]))).body;
        assert.deepEqual(Object.keys(failed), ["name", "status", "startTime", "endTime", "error"]);
        assert.deepEqual(Object.keys(failed.error), ["code", "message"]);
      } finally {
        await clock.release();
      }
    });

    it('"PATCH: at 2023-07-01 a 202 with no body and both Azure-AsyncOperation and Location (same operation)"; the switch syncPatch gives "at 2022-07-01 a synchronous 200"', async () => {
      const id = idIn("rg", "t");
      await settle(a, await create(id));
      const patched = await a.request("PATCH", url(id), { tags: { stage: "async" } });
      assert.equal(patched.status, 202);
      assert.equal(patched.body, undefined);
      assertAsyncHeaders(patched, true);
      assert.equal((await settle(a, patched)).status, "Succeeded");

      await emu.admin.setTiming({ syncPatch: true });
      const sync = await a.request("PATCH", url(id), { tags: { stage: "sync" } });
      assert.equal(sync.status, 200);
      for (const h of ["azure-asyncoperation", "location", "retry-after"]) assert.equal(sync.headers[h], undefined, h);
      assert.deepEqual(sync.body.tags, { stage: "sync" });
      assert.equal(sync.body.properties.provisioningState, "Succeeded");
      assert.deepEqual(sync.body, (await a.request("GET", url(id))).body);
    });

    it('"DELETE (template): 202, empty body, Azure-AsyncOperation and Location; after Succeeded the Location URL keeps answering 200 with the same body"', async () => {
      const id = idIn("rg", "t");
      await settle(a, await create(id));
      const deleted = await a.request("DELETE", url(id));
      assert.equal(deleted.status, 202);
      assert.equal(deleted.body, undefined);
      assertAsyncHeaders(deleted, true);
      await settle(a, deleted);
      const first = await a.request("GET", String(deleted.headers.location));
      const second = await a.request("GET", String(deleted.headers.location));
      assert.deepEqual([first.status, first.body.status], [200, "Succeeded"]);
      assert.deepEqual([second.status, second.body], [200, first.body]);
    });

    it('"POST run: 202, empty body, both headers, byte-identical URLs"', async () => {
      const id = idIn("rg", "t");
      await settle(a, await create(id));
      const run = await a.request("POST", url(id, "/run"));
      assert.equal(run.status, 202);
      assert.equal(run.body, undefined);
      assertAsyncHeaders(run, true);
      assert.equal(run.headers.location, run.headers["azure-asyncoperation"]);
    });

    it('"DELETE (trigger): 202 with both headers (2024) or 204 with none (2023, 2025): both real"; 204 by default, 202 with syncTriggerDelete false', async () => {
      const id = idIn("myResourceGroup", "t");
      await seedTemplate(id, floatingTemplate());
      await emu.admin.putRaw(`${id}/triggers/source`, { properties: { kind: "SourceImage" } });
      assertNoContent(await a.request("DELETE", url(id, "/triggers/source")));
      assert.equal((await a.request("GET", url(id, "/triggers/source"))).status, 404);

      await emu.admin.setTiming({ syncTriggerDelete: false });
      await emu.admin.putRaw(`${id}/triggers/source`, { properties: { kind: "SourceImage" } });
      const deleted = await a.request("DELETE", url(id, "/triggers/source"));
      assert.equal(deleted.status, 202);
      assertAsyncHeaders(deleted, true);
      assert.equal((await settle(a, deleted)).status, "Succeeded");
      assert.equal((await a.request("GET", url(id, "/triggers/source"))).status, 404);
    });

    it('"Trigger PUT response: only {kind, provisioningState: "Creating"} under properties (no status yet); GET and list add status: {code: "Healthy", message: "Trigger is active", time}"', async () => {
      const id = idIn("myResourceGroup", "t");
      await seedTemplate(id, floatingTemplate());
      const put = await a.request("PUT", url(id, "/triggers/source"), { properties: { kind: "SourceImage" } });
      assert.equal(put.status, 201);
      assert.deepEqual(put.body.properties, { kind: "SourceImage", provisioningState: "Creating" });
      await settle(a, put);
      const got = (await a.request("GET", url(id, "/triggers/source"))).body;
      const status = { code: "Healthy", message: "Trigger is active", time: got.properties.status.time };
      assert.deepEqual(got.properties, { kind: "SourceImage", provisioningState: "Succeeded", status });
      assert.ok(!Number.isNaN(Date.parse(status.time)));
      const listed = (await a.request("GET", url(id, "/triggers"))).body;
      assert.deepEqual(listed, { value: [got] });
    });

    it('"Lists: {"value": [...]} without nextLink for small sets; an empty list is {"value": []}"', async () => {
      const list = `/subscriptions/${emu.subscriptionId}/resourceGroups/rg/providers/Microsoft.VirtualMachineImages/imageTemplates?${API}`;
      assert.deepEqual((await a.request("GET", list)).body, { value: [] });
      await settle(a, await create(idIn("rg", "one")));
      await settle(a, await create(idIn("rg", "two")));
      const listed = (await a.request("GET", list)).body;
      assert.deepEqual(Object.keys(listed), ["value"]);
      assert.equal(listed.value.length, 2);
      const id = idIn("rg", "one");
      assert.deepEqual((await a.request("GET", url(id, "/runOutputs"))).body, { value: [] });
      assert.deepEqual((await a.request("GET", url(id, "/triggers"))).body, { value: [] });
    });

    it('"No AIB answer in 253 recorded exchanges (2020-2025) carries Retry-After: not the PUT, PATCH, DELETE, run, nor any operation-status poll"; the retryAfterSeconds switch sends one', async () => {
      const clock = frozenClock();
      try {
        const id = idIn("rg", "t");
        const seen: RawResponse[] = [];
        const step = async (r: RawResponse) => {
          seen.push(r, await a.request("GET", String(r.headers["azure-asyncoperation"])));
          clock.advance(300);
          seen.push(await a.request("GET", String(r.headers["azure-asyncoperation"])));
        };
        await step(await create(id));
        await step(await a.request("PATCH", url(id), { tags: { a: "b" } }));
        await step(await a.request("POST", url(id, "/run")));
        await step(await a.request("DELETE", url(id)));
        assert.deepEqual(
          seen.map((r) => r.status),
          [201, 200, 200, 202, 200, 200, 202, 200, 200, 202, 200, 200],
        );
        assert.ok(seen.some((r) => r.body?.status === "InProgress"));
        assert.deepEqual(
          seen.filter((r) => r.headers["retry-after"] !== undefined),
          [],
        );

        await emu.admin.setTiming({ retryAfterSeconds: 7 });
        const asked = await create(id);
        const poll = await a.request("GET", String(asked.headers["azure-asyncoperation"]));
        assert.deepEqual(
          [asked.headers["retry-after"], poll.body.status, poll.headers["retry-after"]],
          ["7", "InProgress", "7"],
        );
      } finally {
        await clock.release();
      }
    });

    it('"A failed provisioning (the identity may not read a resource the template names): PUT 201; the operation ends Failed with Unauthorized and "Not authorized to access the resource: <resource id>. …"; a GET answers 200 with provisioningState Failed and provisioningError {provisioningErrorCode: "Other", message}; exactStagingResourceGroup and source.exactVersion are filled; such a template exists and must be deleted before the name can be reused"', async () => {
      const gallery = `/subscriptions/${emu.subscriptionId}/resourceGroups/rg-gallery/providers/Microsoft.Compute/galleries/g`;
      const source = { type: "SharedImageVersion", imageVersionId: `${gallery}/images/ubuntu/versions/1.0.0` };
      await emu.admin.setIdentityAccess(
        identityId(),
        `/subscriptions/${emu.subscriptionId}/resourceGroups/rg-gallery`,
        false,
      );
      const id = idIn("rg", "denied");
      const put = await create(id, { source });
      assert.equal(put.status, 201);
      assert.equal(put.body.properties.provisioningState, "Creating");
      const message = `Not authorized to access the resource: ${source.imageVersionId}. Please check the user assigned identity has the correct permissions. For more details, go to https://aka.ms/azvmimagebuilderts.`;
      const op = await settle(a, put);
      assert.deepEqual([op.status, op.error], ["Failed", { code: "Unauthorized", message }]);
      const got = await a.request("GET", url(id));
      assert.equal(got.status, 200);
      assert.equal(got.body.properties.provisioningState, "Failed");
      assert.deepEqual(got.body.properties.provisioningError, { provisioningErrorCode: "Other", message });
      assert.match(got.body.properties.exactStagingResourceGroup, /\/resourceGroups\/IT_rg_denied_/);
      assert.equal(got.body.properties.source.exactVersion, source.imageVersionId);
      assert.equal((await create(id, { source })).status, 409, "the name is taken until the template is deleted");
      await settle(a, await a.request("DELETE", url(id)));

      // Granted read, the same template provisions.
      await emu.admin.setIdentityAccess(
        identityId(),
        `/subscriptions/${emu.subscriptionId}/resourceGroups/rg-gallery`,
        true,
      );
      assert.equal((await settle(a, await create(id, { source }))).status, "Succeeded");
      // Another identity's denial, or a resource the template does not name, changes nothing.
      await emu.admin.setIdentityAccess(identityId().replace("builder", "other"), gallery, false);
      await emu.admin.setIdentityAccess(
        identityId(),
        `/subscriptions/${emu.subscriptionId}/resourceGroups/elsewhere`,
        false,
      );
      assert.equal((await settle(a, await create(idIn("rg", "fine"), { source }))).status, "Succeeded");
    });
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
