import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { TYPESCRIPT_ARGS } from "../helpers/transpile";

const ROOT = path.resolve(__dirname, "../..");
/** This file's temporary folders (an empty PATH, an `az`), removed after it. */
let scratch: string;

/** Runs a program that asks for a resource group's id, with exactly these variables (and no `az` unless given). */
function resolve(env: Record<string, string>): { id?: string; error?: string } {
  const run = spawnSync(process.execPath, [...TYPESCRIPT_ARGS, path.join(__dirname, "fixtures/resource-group-id.ts")], {
    encoding: "utf8",
    cwd: ROOT,
    env: { PATH: path.join(scratch, "empty"), ...env },
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout.trim().split("\n").pop()!);
}

/** A directory holding an `az` whose `account show` names `subscription`. */
function azLoggedInTo(subscription: string): string {
  const bin = mkdtempSync(path.join(scratch, "az-"));
  writeFileSync(path.join(bin, "az"), `#!/bin/sh\necho '{"id": "${subscription}"}'\n`, { mode: 0o755 });
  return bin;
}

describe("resourceGroupId() in a program: the subscription found as ImageTemplate finds its own", function () {
  this.timeout(60_000);
  const A = "00000000-0000-0000-0000-00000000000a";
  const B = "00000000-0000-0000-0000-00000000000b";
  const C = "00000000-0000-0000-0000-00000000000c";
  before(() => {
    scratch = mkdtempSync(path.join(tmpdir(), "resource-group-id-"));
    mkdirSync(path.join(scratch, "empty"));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it("takes AZURE_SUBSCRIPTION_ID, else ARM_SUBSCRIPTION_ID", () => {
    assert.deepEqual(resolve({ AZURE_SUBSCRIPTION_ID: A, ARM_SUBSCRIPTION_ID: B }), {
      id: `/subscriptions/${A}/resourceGroups/rg-images`,
    });
    assert.deepEqual(resolve({ ARM_SUBSCRIPTION_ID: B }), { id: `/subscriptions/${B}/resourceGroups/rg-images` });
  });

  it("lets the stack's azure-native:subscriptionId win over the environment", () => {
    const config = JSON.stringify({ "azure-native:subscriptionId": C });
    assert.deepEqual(resolve({ PULUMI_CONFIG: config, AZURE_SUBSCRIPTION_ID: A }), {
      id: `/subscriptions/${C}/resourceGroups/rg-images`,
    });
  });

  it("falls back to the Azure CLI's default subscription", () => {
    assert.deepEqual(resolve({ PATH: azLoggedInTo(B) }), { id: `/subscriptions/${B}/resourceGroups/rg-images` });
  });

  it("with none of them, fails saying what to set", () => {
    const { error } = resolve({});
    assert.match(error ?? "", /pulumi config set azure-native:subscriptionId <id>.*AZURE_SUBSCRIPTION_ID.*az login/);
  });
});
