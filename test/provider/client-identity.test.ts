/**
 * What Azure sees of the provider as a client, through the real SDKs over HTTPS: its user agent on every ARM and token
 * request (recorded by the emulator) and on storage requests (Azurite serves those and records nothing, so a local
 * HTTPS server stands in as the ARM and blob endpoints of a build-log read), and the auxiliary tenants' tokens in
 * `x-ms-authorization-auxiliary`.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { IncomingHttpHeaders } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { type ImageTemplate, ImageBuilderClient } from "@azure/arm-imagebuilder";
import type * as pulumi from "@pulumi/pulumi";
import { decodeJwt } from "jose";
import { imageTemplateProvider } from "../../provider";
import { connect, forgetConnections } from "../../provider/azure/client";
import { BuildLog } from "../../provider/image-template/build-log";
import { templateArgs } from "../fixtures/template-args";
import { applyEmulatorEnv, startTestEmulator, trustEmulatorCertificate, type TestEmulator } from "../helpers/emulator";

const provider = imageTemplateProvider as Required<pulumi.dynamic.ResourceProvider>;
// The provider runs from dist/ (as the engine loads it), so its kept connections live in dist's module.
const dist = require("../../dist/provider/azure/client") as typeof import("../../provider/azure/client");
const VERSION = (JSON.parse(readFileSync(path.join(__dirname, "../../package.json"), "utf8")) as { version: string })
  .version;
const USER_AGENT = new RegExp(`^pulumi-azure-imagebuilder/${VERSION.replace(/\./g, "\\.")} .*azsdk-js-`);
const RG = "rg-client";

interface Recorded {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

/** A local HTTPS server with the emulator's certificate that records every request and answers with `reply`. */
async function recordingServer(
  emu: TestEmulator,
  reply: (r: Recorded, base: string) => { status: number; body: string; headers?: Record<string, string> },
): Promise<{ url: string; requests: Recorded[]; server: Server }> {
  const requests: Recorded[] = [];
  const server = createServer({
    cert: emu.caPem,
    key: readFileSync(path.join(path.dirname(emu.caCertPath), "key.pem")),
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  server.on("request", (req, res) => {
    const r = { method: req.method!, path: req.url!, headers: req.headers };
    requests.push(r);
    req.resume();
    const { status, body, headers } = reply(r, url);
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(body);
  });
  return { url, requests, server };
}

describe("provider: what Azure sees of the client", function () {
  this.timeout(60_000);
  let emu: TestEmulator;
  let restoreEnv: () => void;
  const saved: Record<string, string | undefined> = {};
  const setEnv = (vars: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(vars)) {
      if (!(k in saved)) saved[k] = process.env[k];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };

  before(async () => {
    emu = await startTestEmulator();
    trustEmulatorCertificate(emu.caPem);
    restoreEnv = applyEmulatorEnv(emu);
  });
  after(async () => {
    restoreEnv?.();
    forgetConnections();
    dist.forgetConnections();
    await emu?.stop();
  });
  beforeEach(async () => {
    await emu.admin.reset();
    forgetConnections();
    dist.forgetConnections();
  });
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
      delete saved[k];
    }
  });

  it("sends pulumi-azure-imagebuilder/<version> on every ARM and token request of a create and delete", async () => {
    const news = templateArgs(emu.subscriptionId, RG, { imageTemplateName: "ua", __provider: "serialized" });
    const checked = await provider.check({}, news);
    assert.deepEqual(checked.failures ?? [], []);
    const created = await provider.create({ ...checked.inputs, __provider: "serialized" });
    await provider.delete(created.id, created.outs);
    const log = await emu.admin.requests();
    const arm = log.filter((e) => e.kind === "arm");
    const tokens = log.filter((e) => e.kind === "identity" && /\/oauth2\/v2\.0\/token$/.test(e.path));
    assert.ok(arm.some((e) => e.method === "PUT") && arm.some((e) => e.method === "DELETE"), "create and delete");
    assert.ok(tokens.length >= 1, "a token was requested");
    for (const e of log) assert.match(e.userAgent, USER_AGENT, `${e.method} ${e.path}`);
  });

  it("sends it on the storage requests of a build-log read", async () => {
    const staging = `/subscriptions/${emu.subscriptionId}/resourceGroups/IT_rg_ua`;
    const blob = "3b5bd5a8-4f5a-4c7e-8d7d-0d4e7d0c9a11/customization.log";
    const stand = await recordingServer(emu, (r, base) =>
      r.path.includes("/providers/Microsoft.Storage/storageAccounts")
        ? {
            status: 200,
            body: JSON.stringify({
              value: [{ name: "stagingacct", properties: { primaryEndpoints: { blob: `${base}/stagingacct/` } } }],
            }),
          }
        : { status: 200, body: "PACKER OUT starting\n", headers: { "content-type": "application/octet-stream" } },
    );
    try {
      setEnv({ AZURE_RESOURCE_MANAGER_ENDPOINT: stand.url });
      const read = new BuildLog(connect(emu.subscriptionId), "onFailure", () => {});
      const report = await read.failure({
        location: "westus",
        identity: { type: "None" },
        exactStagingResourceGroup: staging,
        lastRunStatus: {
          runState: "Failed",
          message: `see ${staging}/providers/Microsoft.Storage/storageAccounts/stagingacct/blobServices/default/containers/packerlogs/${blob}`,
        },
      } as ImageTemplate);
      assert.equal(report.url, `${stand.url}/stagingacct/packerlogs/${blob}`, report.advice);
      const blobReads = stand.requests.filter((r) => r.path.startsWith("/stagingacct/packerlogs/"));
      assert.ok(blobReads.length >= 1, "the blob was read");
      assert.ok(stand.requests.length > blobReads.length, "the storage accounts were listed through ARM");
      for (const r of stand.requests) assert.match(String(r.headers["user-agent"]), USER_AGENT, r.path);
      // The storage token came from the emulator, which recorded the same user agent for it.
      const tokens = (await emu.admin.requests()).filter((e) => e.kind === "identity");
      assert.ok(tokens.length >= 2, "an ARM and a storage token");
      for (const e of tokens) assert.match(e.userAgent, USER_AGENT, e.path);
    } finally {
      stand.server.close();
    }
  });

  describe("auxiliaryTenantIds", () => {
    const TEMPLATE = { id: "x", name: "t", location: "westus", identity: { type: "None" }, properties: {} };

    it("ARM_AUXILIARY_TENANT_IDS: each ARM request carries a token of each auxiliary tenant", async () => {
      const stand = await recordingServer(emu, () => ({ status: 200, body: JSON.stringify(TEMPLATE) }));
      try {
        // The emulator's token endpoint knows one tenant, so its tenant stands in for the gallery's.
        setEnv({ AZURE_RESOURCE_MANAGER_ENDPOINT: stand.url, ARM_AUXILIARY_TENANT_IDS: `["${emu.tenantId}"]` });
        await connect(emu.subscriptionId).client.virtualMachineImageTemplates.get(RG, "t");
        assert.equal(stand.requests.length, 1);
        const auxiliary = String(stand.requests[0].headers["x-ms-authorization-auxiliary"] ?? "");
        const m = /^Bearer (\S+)$/.exec(auxiliary);
        assert.ok(m, `x-ms-authorization-auxiliary: "${auxiliary}"`);
        assert.equal(decodeJwt(m[1]).tid, emu.tenantId);
        // A token the emulator issued: it accepts it as an ARM caller's (signature, issuer, tenant, audience).
        const aux = { getToken: async () => ({ token: m[1], expiresOnTimestamp: Date.now() + 60_000 }) };
        const asAuxiliary = new ImageBuilderClient(aux, emu.subscriptionId, { endpoint: emu.url, ...emu.sdkOptions() });
        for await (const template of asAuxiliary.virtualMachineImageTemplates.list()) void template;
      } finally {
        stand.server.close();
      }
    });

    it("asks the token endpoint of each auxiliary tenant (stack config azure-native:auxiliaryTenantIds)", async () => {
      const other = "5a1c7e0d-2b9f-4c55-9a8e-6f0d3c2b1a99";
      const { useStackConfig } = dist;
      useStackConfig({ "azure-native:auxiliaryTenantIds": JSON.stringify([other]) });
      try {
        const news = templateArgs(emu.subscriptionId, RG, { imageTemplateName: "aux", __provider: "serialized" });
        const checked = await provider.check({}, news);
        await assert.rejects(
          provider.create({ ...checked.inputs, __provider: "serialized" }),
          new RegExp(`auxiliary tenant ${other}`),
        );
        const log = await emu.admin.requests();
        // The emulator has no such tenant: the provider asked it for that tenant's token, and sent no ARM request.
        assert.ok(
          log.some((e) => e.kind === "identity" && e.path.startsWith(`/${other}/`)),
          JSON.stringify(log.map((e) => e.path)),
        );
        assert.ok(!log.some((e) => e.kind === "arm" && e.method === "PUT"));
      } finally {
        useStackConfig({});
      }
    });

    it("refuses a list that is not of tenant ids before any request", () => {
      setEnv({ ARM_AUXILIARY_TENANT_IDS: '["not-a-tenant"]' });
      assert.throws(() => connect(emu.subscriptionId), /ARM_AUXILIARY_TENANT_IDS .*tenant ids \(GUIDs\)/);
    });
  });
});
