/** `npm run demo` as the README promises: exit 0 with the stack outputs printed, then `-- --destroy` cleans up. */
import * as assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { execCommand } from "../../toolchain/exec";
import { ENSURE_TIMEOUT_MS, pulumiBinDir } from "./helpers/engine";

const repoRoot = path.resolve(__dirname, "..", "..");

/** The template's row as the CLI prints it without a terminal, while the step runs: its status or diagnostic. */
const rowText = (line: string) =>
  /^ \+ {2}pulumi-nodejs:dynamic\/azure-imagebuilder:ImageTemplate ubuntu-web creating \(\d+s\) (.+)$/.exec(line)?.[1];

describe("npm run demo", function () {
  this.timeout(5 * 60_000);
  let demoDir: string;

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    await pulumiBinDir();
    demoDir = await fs.mkdtemp(path.join(os.tmpdir(), "imagebuilder-demo-"));
  });

  after(async () => {
    await fs.rm(demoDir, { recursive: true, force: true });
  });

  // The quickstart runs transpile-only, as every program the engine runs in the e2e suites (engineEnv): type-checking
  // it made each `up` (preview and update, two program runs) cost 23 s of CPU instead of 14, and the examples suite
  // type-checks examples/quickstart with tsc against the installed package.
  const demo = (...args: string[]) =>
    execCommand(process.execPath, [path.join(repoRoot, "dist", "toolchain", "demo.js"), ...args], {
      cwd: repoRoot,
      env: { ...process.env, IMAGEBUILDER_DEMO_DIR: demoDir, PULUMI_NODEJS_TRANSPILE_ONLY: "true" },
    });

  it("deploys the quickstart, shows the build's progress and prints its stack outputs with the built image", async () => {
    const result = await demo();
    assert.equal(result.code, 0, result.stderr);
    const outputs = JSON.parse(result.stdout.slice(result.stdout.lastIndexOf("\n{")));
    assert.equal(outputs.provisioningState, "Succeeded");
    assert.match(outputs.templateId, /\/providers\/Microsoft\.VirtualMachineImages\/imageTemplates\/ubuntu-web-/);
    assert.match(outputs.imageId, /\/providers\/Microsoft\.Compute\/images\/ubuntu-web$/);
    // On the template's own row (the engine's Log with its URN), not under the stack as `[ubuntu-web] ...`.
    const row = result.stdout.split("\n").flatMap((l) => rowText(l) ?? []);
    assert.ok(
      row.some((l) => /^building: customizing \(\d+m\d\ds\)$/.test(l)),
      row.join("\n"),
    );
    assert.ok(row.some((l) => /^build Running - Customizing/.test(l)));
    assert.ok(row.some((l) => /^image built in \d+m\d\ds/.test(l)));
    assert.doesNotMatch(result.stdout, /\[ubuntu-web\]/);
    assert.match(result.stderr, /npm run demo -- --destroy/);
  });

  it("--fail shows a failing build: its log streamed live, the failing customizer and its log lines", async () => {
    const result = await demo("--fail");
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /ImageTemplate ubuntu-web creating \(\d+s\) \| PACKER \S+ \S+ ui: ==> azure-arm: Provisioning with shell script: \/tmp\/packer-shell\d+\n/,
    );
    assert.match(
      result.stdout,
      /ImageTemplate ubuntu-web creating \(\d+s\) \| PACKER \S+ \S+ ui: {5}azure-arm: E: Unable to locate package nginx/,
    );
    assert.match(result.stdout, /Failing step: customizer 2\/2 "install-nginx" \(Shell\)\./);
    // The log streams: the row names the step.
    const row = result.stdout.split("\n").flatMap((l) => rowText(l) ?? []);
    assert.ok(
      row.some((l) => /^building: customizing, step 2\/2 "install-nginx" \(Shell\) \(\d+m\d\ds\)$/.test(l)),
      row.join("\n"),
    );
    assert.match(
      result.stdout,
      /Last lines of the build log \(https:\/\/127\.0\.0\.1:\d+\/[a-z0-9]{24}\/packerlogs\/[0-9a-f-]{36}\/customization\.log\):\n {8}PACKER \S+ \S+ ui: ==> azure-arm: Provisioning with shell script: \/tmp\/packer-shell\d+\n/,
    );
    assert.match(result.stdout, /Stack 'demo-fail' has been removed/);
    assert.match(result.stderr, /failed on purpose/);
  });

  it("a second run changes nothing, and --destroy removes the stack and its folder", async () => {
    const again = await demo();
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Resources:\s+2 unchanged/);
    const destroy = await demo("--destroy");
    assert.equal(destroy.code, 0, destroy.stderr);
    await assert.rejects(fs.access(demoDir), "the demo folder is gone");
  });
});
