import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { TYPESCRIPT_ARGS } from "../helpers/transpile";

// Pulumi mocks are process-wide state, so the program runs in a child process.
describe("ImageTemplate resource class", function () {
  this.timeout(60_000);
  const run = spawnSync(
    process.execPath,
    [...TYPESCRIPT_ARGS, path.join(__dirname, "fixtures/resource-under-mocks.ts")],
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
    // The URN the engine gives it (stack and project of the mocks), where the provider sends its progress.
    assert.equal(
      web.inputs.__urn,
      "urn:pulumi:stack::project::pulumi-nodejs:dynamic/azure-imagebuilder:ImageTemplate::web",
    );
  });

  it("asks the engine to delete before replacing when the name is fixed (one template per name), unless told otherwise", () => {
    const { deleteBeforeReplace } = JSON.parse(run.stdout.trim().split("\n").pop()!);
    const { web, autonamed, overridden } = deleteBeforeReplace;
    assert.deepEqual({ web, autonamed, overridden }, { web: true, autonamed: false, overridden: false });
  });

  it("get() reads by id, sending no arguments", () => {
    const { registered } = JSON.parse(run.stdout.trim().split("\n").pop()!);
    const existing = registered.find((r: { name: string }) => r.name === "existing");
    assert.equal(existing.type, "pulumi-nodejs:dynamic/azure-imagebuilder:ImageTemplate");
    assert.match(existing.id, /imageTemplates\/t$/);
    assert.equal(existing.inputs.resourceGroupName, undefined);
    assert.equal(existing.inputs.__pulumiName, undefined);
  });

  it("ImageTemplateTrigger.get() reads by id, sending no arguments", () => {
    const { registered } = JSON.parse(run.stdout.trim().split("\n").pop()!);
    const existing = registered.find((r: { name: string }) => r.name === "existing-trigger");
    assert.equal(existing.type, "pulumi-nodejs:dynamic/azure-imagebuilder:ImageTemplateTrigger");
    assert.match(existing.id, /imageTemplates\/t\/triggers\/source$/);
    assert.equal(existing.inputs.triggerName, undefined);
  });

  it("warns once that customTimeouts have no effect, pointing to build.timeoutMinutes", () => {
    const warnings = run.stderr.split("\n").filter((l) => l.includes("customTimeouts have no effect"));
    assert.equal(warnings.length, 1, run.stderr);
    assert.match(warnings[0], /^warning: .*build\.timeoutMinutes/);
  });

  it("restores Error.stackTraceLimit after construction, also when the constructor throws", () => {
    const { stackTraceLimit } = JSON.parse(run.stdout.trim().split("\n").pop()!);
    assert.equal(stackTraceLimit.before, 10, "Node's default limit, so the checks below can tell a change");
    assert.equal(stackTraceLimit.afterCreate, 10);
    assert.match(stackTraceLimit.thrown, /parent is not a valid Resource/);
    assert.equal(stackTraceLimit.afterThrow, 10);
  });
});
