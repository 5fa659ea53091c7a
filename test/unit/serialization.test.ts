/**
 * What `__provider` holds in state: no credential, small, and runnable by the engine's provider host (which
 * evaluates the text with require-from-string in the project directory). Needs `npm run build` (npm test does).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { loadInstalledCopy, serializedProvider, serializedProviderBytes } from "../../bench/provider-size";
import { imageTemplateProvider } from "../../provider";
import { packageRoot } from "../../provider/load";
import { minimalArgs } from "./fixtures/args";

const FAKE = {
  AZURE_CLIENT_SECRET: "fake-secret-azure-5f1d",
  ARM_CLIENT_SECRET: "fake-secret-arm-9c2e",
  AZURE_CLIENT_ID: "fake-client-id-77aa",
  AZURE_TENANT_ID: "fake-tenant-id-31bb",
  AZURE_SUBSCRIPTION_ID: "00000000-0000-0000-0000-0000000000ff",
};

/** Runs the serialized text like the provider host does, in `cwd`, and returns what its check() answers. */
function checkInHost(text: string, cwd: string): { inputs: Record<string, unknown>; failures: unknown[] } {
  const dir = mkdtempSync(path.join(tmpdir(), "provider-text-"));
  try {
    const file = path.join(dir, "provider.js");
    writeFileSync(file, text);
    const script = `
      const text = require("fs").readFileSync(${JSON.stringify(file)}, "utf8");
      const provider = require(${JSON.stringify(require.resolve("require-from-string"))})(text).handler();
      const news = { ...JSON.parse(process.argv[1]), imageTemplateName: undefined, subscriptionId: undefined, __pulumiName: "host" };
      provider.check({}, news).then((r) => console.log(JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });`;
    const run = spawnSync(process.execPath, ["-e", script, JSON.stringify(minimalArgs())], {
      cwd,
      encoding: "utf8",
      env: { ...process.env, ...FAKE },
    });
    assert.equal(run.status, 0, run.stderr);
    return JSON.parse(run.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("serialized provider (__provider)", function () {
  this.timeout(60_000);
  const saved: Record<string, string | undefined> = {};
  before(() => {
    for (const [k, v] of Object.entries(FAKE)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it("captures no credential or environment value, and is not secret", async () => {
    const installed = loadInstalledCopy();
    try {
      for (const provider of [imageTemplateProvider, installed.exports.imageTemplateProvider]) {
        const { text, containsSecrets } = await serializedProvider(provider);
        assert.equal(containsSecrets, false);
        for (const value of Object.values(FAKE)) assert.equal(text.includes(value), false, `${value} leaked`);
        assert.equal(text.includes("process.env."), false);
      }
    } finally {
      installed.dispose();
    }
  });

  it("is at most twice a no-op dynamic provider when installed from npm", async () => {
    const { ours, noop, checkout } = await serializedProviderBytes();
    assert.ok(ours <= 2 * noop, `ours ${ours} bytes vs no-op ${noop}`);
    assert.ok(checkout < 8 * 1024, `a checkout serializes by value, still small: ${checkout}`);
  });

  it("runs in the provider host from an installed package", async () => {
    const installed = loadInstalledCopy();
    try {
      const { text } = await serializedProvider(installed.exports.imageTemplateProvider);
      assert.match(text, /require\("pulumi-azure-imagebuilder\/dist\/provider\/image-template\/provider\.js"\)/);
      const result = checkInHost(text, installed.projectDir);
      assert.deepEqual(result.failures, []);
      assert.match(String(result.inputs.imageTemplateName), /^host-[0-9a-f]{7}$/);
    } finally {
      installed.dispose();
    }
  });

  it("runs in the provider host from a project inside this checkout (by-value copy)", async () => {
    const { text } = await serializedProvider(imageTemplateProvider);
    const result = checkInHost(text, path.join(packageRoot(), "test"));
    assert.deepEqual(result.failures, []);
    assert.equal(result.inputs.subscriptionId, FAKE.AZURE_SUBSCRIPTION_ID);
  });
});
