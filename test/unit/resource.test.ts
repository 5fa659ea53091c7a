import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

// Pulumi mocks are process-wide state, so the program runs in a child process.
describe("ImageTemplate resource class", function () {
  this.timeout(60_000);
  const run = spawnSync(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", path.join(__dirname, "fixtures/resource-under-mocks.ts")],
    { encoding: "utf8", cwd: path.resolve(__dirname, "../..") },
  );

  it("registers under the readable dynamic type token with the arguments, its name and the serialized provider", () => {
    assert.equal(run.status, 0, run.stderr);
    const { registered } = JSON.parse(run.stdout.trim().split("\n").pop()!);
    const web = registered.find((r: { name: string }) => r.name === "web");
    assert.equal(web.type, "pulumi-nodejs:dynamic/azure-imagebuilder:ImageTemplate");
    assert.equal(web.inputs.resourceGroupName, "rg1");
    assert.equal(web.inputs.__pulumiName, "web");
    assert.equal(typeof web.inputs.__provider, "string");
  });

  it("asks the engine to delete before replacing when the name is fixed (one template per name), unless told otherwise", () => {
    const { deleteBeforeReplace } = JSON.parse(run.stdout.trim().split("\n").pop()!);
    assert.deepEqual(deleteBeforeReplace, { web: true, autonamed: false, overridden: false });
  });

  it("get() reads by id, sending no arguments", () => {
    const { registered } = JSON.parse(run.stdout.trim().split("\n").pop()!);
    const existing = registered.find((r: { name: string }) => r.name === "existing");
    assert.equal(existing.type, "pulumi-nodejs:dynamic/azure-imagebuilder:ImageTemplate");
    assert.match(existing.id, /imageTemplates\/t$/);
    assert.equal(existing.inputs.resourceGroupName, undefined);
    assert.equal(existing.inputs.__pulumiName, undefined);
  });
});
