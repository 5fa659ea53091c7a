/**
 * The step finder and the failure summary on customization.log in the shapes the real service writes (no per-step
 * header: Packer's telemetry and provisioner lines, matched in the order of the template's steps). The logs below are
 * written line by line in those shapes: `[operationId] PACKER OUT|ERR …` (older) and `[operationId] PACKER …`
 * (recent).
 */
import assert from "node:assert/strict";
import { failureDetails, summarizeLog } from "../../provider/image-template/build-log";
import { logProgress, parseLogLine, type PlannedStep } from "../../provider/image-template/log-progress";

const OP = "[7a3c1f0e-55d2-4c1b-9a0e-2f4b6c8d9e10]";
const recent = (lines: string[]) => lines.map((l) => `${OP} PACKER ${l}`).join("\n") + "\n";
const older = (lines: string[]) => lines.map((l) => `${OP} PACKER ${l}`).join("\n") + "\n";
const T = "2025/03/18 20:42:48";

const webSteps: PlannedStep[] = [
  { type: "Shell", name: "install-nginx" },
  { type: "File", name: "site" },
  { type: "Shell", name: "configure" },
];

/** A recent-shape log of a build whose second step (a File upload) fails. */
const recentFailingFile = recent([
  `${T} [INFO] Packer version: 1.10.0 [go1.21.6 linux amd64]`,
  `${T} ui: ==> azure-arm: Running builder ...`,
  `${T} ui: ==> azure-arm: Deploying deployment template ...`,
  `${T} ui: ==> azure-arm: Waiting for SSH to become available...`,
  `${T} ui: ==> azure-arm: Connected to SSH!`,
  `${T} [INFO] (telemetry) Starting provisioner shell`,
  `${T} ui: ==> azure-arm: Provisioning with shell script: /tmp/packer-shell2291773466`,
  `${T} ui:     azure-arm: Reading package lists...`,
  `${T} packer-provisioner-shell plugin: [INFO] RPC client: Communicator ended with: 0`,
  `${T} [INFO] (telemetry) ending shell`,
  `${T} [INFO] (telemetry) Starting provisioner file`,
  `${T} ui: ==> azure-arm: Uploading index.html => /var/www/html/index.html`,
  `${T} ui error: ==> azure-arm: Upload failed: scp: /var/www/html/index.html: Permission denied`,
  `${T} ui: ==> azure-arm: Provisioning step had errors: Running the cleanup provisioner, if present...`,
  `${T} [INFO] (telemetry) Starting provisioner shell`,
  `==> azure-arm: Deleting individual resources ...`,
  `${T} ui error: Build 'azure-arm' errored after 4 minutes 2 seconds: Upload failed: scp: /var/www/html/index.html: Permission denied`,
  `==> Wait completed after 4 minutes 2 seconds`,
  `==> Some builds didn't complete successfully and had errors:`,
  `--> azure-arm: Upload failed: scp: /var/www/html/index.html: Permission denied`,
  `==> Builds finished but no artifacts were created.`,
  `${T} [INFO] (telemetry) Finalizing.`,
  `Done exporting Packer logs to Azure Storage.`,
]);

/** An older-shape log (stdout and Packer's log apart, UI errors on both) of a build whose first step fails. */
const olderFailingShell = older([
  `ERR 2020/10/25 12:01:02 [INFO] Packer version: 1.6.1 [go1.14.4 linux amd64]`,
  `OUT ==> azure-arm: Deploying deployment template ...`,
  `OUT ==> azure-arm: Waiting for SSH to become available...`,
  `ERR 2020/10/25 12:03:40 packer-builder-azure-arm plugin: [INFO] Waiting for SSH, up to timeout: 20m0s`,
  `OUT ==> azure-arm: Connected to SSH!`,
  `ERR 2020/10/25 12:03:41 [INFO] (telemetry) Starting provisioner shell`,
  `OUT ==> azure-arm: Provisioning with shell script: /tmp/packer-shell101557326`,
  `OUT     azure-arm: E: Unable to locate package nginx-custom`,
  `ERR 2020/10/25 12:03:44 packer-builder-azure-arm plugin: [ERROR] Remote command exited with '100': chmod +x /tmp/script_9178.sh; /tmp/script_9178.sh`,
  `OUT ==> azure-arm: Provisioning step had errors: Running the cleanup provisioner, if present...`,
  `OUT ==> azure-arm: Deleting individual resources ...`,
  `ERR 2020/10/25 12:04:10 ui error: ==> azure-arm: Deleting individual resources ...`,
  `OUT Build 'azure-arm' errored after 3 minutes 8 seconds: Script exited with non-zero exit status: 100. Allowed exit codes are: [0]`,
  `ERR 2020/10/25 12:04:11 ui error: Build 'azure-arm' errored after 3 minutes 8 seconds: Script exited with non-zero exit status: 100. Allowed exit codes are: [0]`,
  `OUT ==> Some builds didn't complete successfully and had errors:`,
  `OUT --> azure-arm: Script exited with non-zero exit status: 100. Allowed exit codes are: [0]`,
  `OUT ==> Builds finished but no artifacts were created.`,
  `ERR 2020/10/25 12:04:11 [INFO] (telemetry) Finalizing.`,
]);

describe("build log: lines of the real shapes", () => {
  it("tells Packer's UI lines (stdout or echoed in its log) from its debug log, in both shapes", () => {
    assert.deepEqual(parseLogLine(`${OP} PACKER OUT     azure-arm: E: Unable to locate package nginx`), {
      text: "PACKER OUT     azure-arm: E: Unable to locate package nginx",
      kind: "ui",
      message: "    azure-arm: E: Unable to locate package nginx",
      timestamped: false,
      error: false,
    });
    assert.deepEqual(parseLogLine(`${OP} PACKER ERR 2019/09/22 22:10:00 ui error: ==> azure-arm: Boom.`), {
      text: "PACKER ERR 2019/09/22 22:10:00 ui error: ==> azure-arm: Boom.",
      kind: "ui",
      message: "==> azure-arm: Boom.",
      timestamped: true,
      error: true,
    });
    assert.equal(parseLogLine(`${OP} PACKER ERR ==> azure-arm: Deleting individual resources ...`).error, true);
    assert.deepEqual(parseLogLine(`${OP} PACKER ${T} ui:     azure-arm: E: Could not open file x`), {
      text: `PACKER ${T} ui:     azure-arm: E: Could not open file x`,
      kind: "ui",
      message: "    azure-arm: E: Could not open file x",
      timestamped: true,
      error: false,
    });
    assert.equal(parseLogLine(`${OP} PACKER ${T} [INFO] (telemetry) Finalizing.`).kind, "log");
    assert.equal(parseLogLine(`${OP} PACKER ==> Wait completed after 3 minutes 13 seconds`).kind, "ui");
    assert.equal(parseLogLine(`${OP} PACKER Done exporting Packer logs to Azure Storage.`).kind, "ui");
    assert.equal(parseLogLine("not a log line").kind, "other");
  });
});

describe("build log: the failing step, from a log with no per-step header", () => {
  it("recent shape: the second of three steps, its lines each once, Packer's error", () => {
    const s = summarizeLog(recentFailingFile, webSteps);
    assert.deepEqual(s.step, { kind: "customizer", number: 2, count: 3, name: "site", type: "File" });
    assert.equal(s.phase, "customizing");
    assert.equal(s.error, "Upload failed: scp: /var/www/html/index.html: Permission denied");
    assert.deepEqual(s.lines, [
      `PACKER ${T} ui: ==> azure-arm: Uploading index.html => /var/www/html/index.html`,
      `PACKER ${T} ui error: ==> azure-arm: Upload failed: scp: /var/www/html/index.html: Permission denied`,
      `PACKER ${T} ui: ==> azure-arm: Provisioning step had errors: Running the cleanup provisioner, if present...`,
      `PACKER ==> azure-arm: Deleting individual resources ...`,
      `PACKER ${T} ui error: Build 'azure-arm' errored after 4 minutes 2 seconds: Upload failed: scp: /var/www/html/index.html: Permission denied`,
      `PACKER ==> Wait completed after 4 minutes 2 seconds`,
      `PACKER ==> Some builds didn't complete successfully and had errors:`,
      `PACKER --> azure-arm: Upload failed: scp: /var/www/html/index.html: Permission denied`,
      `PACKER ==> Builds finished but no artifacts were created.`,
      `PACKER Done exporting Packer logs to Azure Storage.`,
    ]);
  });

  it("older shape: the first of two steps; a UI line on stdout and in Packer's log is shown once", () => {
    const s = summarizeLog(olderFailingShell, [
      { type: "Shell", name: "install-nginx" },
      { type: "Shell", name: "configure" },
    ]);
    assert.deepEqual(s.step, { kind: "customizer", number: 1, count: 2, name: "install-nginx", type: "Shell" });
    assert.equal(s.error, "Script exited with non-zero exit status: 100. Allowed exit codes are: [0]");
    assert.equal(s.lines[0], "PACKER OUT ==> azure-arm: Provisioning with shell script: /tmp/packer-shell101557326");
    assert.ok(s.lines.includes("PACKER OUT     azure-arm: E: Unable to locate package nginx-custom"));
    assert.equal(s.lines.filter((l) => l.includes("Deleting individual resources")).length, 1);
    assert.equal(s.lines.filter((l) => l.includes("errored after")).length, 1);
    assert.ok(!s.lines.some((l) => l.includes("[ERROR] Remote command")), "Packer's debug log is not shown");
    // The cleanup provisioner Packer starts after the failure is no step of the template.
    const withCleanup = olderFailingShell.replace(
      "OUT ==> azure-arm: Deleting individual resources",
      "ERR 2020/10/25 12:03:45 [INFO] (telemetry) Starting provisioner shell\n" +
        `${OP} PACKER OUT ==> azure-arm: Deleting individual resources`,
    );
    assert.equal(summarizeLog(withCleanup, [{ type: "Shell" }, { type: "Shell", name: "configure" }]).step?.number, 1);
  });

  it("a log without telemetry lines: the provisioner lines of one stream, not counted twice", () => {
    const stripped = recentFailingFile
      .split("\n")
      .filter((l) => !l.includes("(telemetry)"))
      .join("\n");
    // The same UI lines again, printed straight to stdout as well.
    const doubled = stripped.replace(/^(\[[^\]]+\] PACKER )\S+ \S+ ui: (==> azure-arm: .*)$/gm, "$1$2\n$&");
    for (const text of [stripped, doubled]) {
      assert.deepEqual(summarizeLog(text, webSteps).step, {
        kind: "customizer",
        number: 2,
        count: 3,
        name: "site",
        type: "File",
      });
    }
  });

  it("steps the service adds itself (a different type) are skipped; the failing one is named as the error's step", () => {
    const windows: PlannedStep[] = [
      { type: "PowerShell", name: "tools" },
      { type: "WindowsRestart", name: "reboot" },
      { type: "WindowsUpdate", name: "updates" },
    ];
    const log = older([
      `ERR 2023/06/13 08:10:00 [INFO] (telemetry) Starting provisioner file`,
      `ERR 2023/06/13 08:10:05 [INFO] (telemetry) ending file`,
      `ERR 2023/06/13 08:10:06 [INFO] (telemetry) Starting provisioner powershell`,
      `OUT ==> azure-arm: Provisioning with powershell script: /tmp/powershell-provisioner1234`,
      `ERR 2023/06/13 08:11:06 [INFO] (telemetry) ending powershell`,
      `ERR 2023/06/13 08:28:58 [INFO] (telemetry) Starting provisioner windows-restart`,
      `OUT ==> azure-arm: Restarting Machine`,
      `OUT ==> azure-arm: Waiting for machine to restart...`,
      `OUT ==> Some builds didn't complete successfully and had errors:`,
      `OUT --> azure-arm: Timeout waiting for machine to restart.`,
      `ERR ==> Builds finished but no artifacts were created.`,
      `ERR 2023/06/13 08:46:26 [INFO] (telemetry) Finalizing.`,
    ]);
    const s = summarizeLog(log, windows);
    assert.deepEqual(s.step, { kind: "customizer", number: 2, count: 3, name: "reboot", type: "WindowsRestart" });
    assert.equal(s.error, "Timeout waiting for machine to restart.");
    const { text, outputs } = failureDetails({ url: "https://x/packerlogs/r/customization.log", summary: s }, "m");
    assert.match(text, /^\nFailing step: customizer 2\/3 "reboot" \(WindowsRestart\)\.\n/);
    assert.match(text, /\n {4}PACKER OUT ==> azure-arm: Restarting Machine\n/);
    assert.equal(
      outputs.lastBuildError,
      'customizer "reboot" (WindowsRestart): Timeout waiting for machine to restart.',
    );
  });

  it("a failure in the service's own last step, or before any step, names no customizer", () => {
    const deprovision = recent([
      `${T} [INFO] (telemetry) Starting provisioner shell`,
      `${T} ui: ==> azure-arm: Provisioning with shell script: /tmp/packer-shell1`,
      `${T} [INFO] (telemetry) ending shell`,
      `${T} [INFO] (telemetry) Starting provisioner shell`,
      `${T} ui: ==> azure-arm: Provisioning with shell script: /tmp/packer-shell2`,
      `${T} ui:     azure-arm: /tmp/DeprovisioningScript.sh: 1: /usr/sbin/waagent: not found`,
      `${T} ui: ==> azure-arm: Provisioning step had errors: Running the cleanup provisioner, if present...`,
      `==> Some builds didn't complete successfully and had errors:`,
      `--> azure-arm: Script exited with non-zero exit status: 127. Allowed exit codes are: [0]`,
    ]);
    const s = summarizeLog(deprovision, [{ type: "Shell", name: "only" }]);
    assert.equal(s.step, undefined);
    assert.equal(s.phase, "deprovisioning");
    assert.match(failureDetails({ summary: s }, "m").text, /Failing step: the service's deprovisioning step/);

    const early = recent([
      `${T} ui: ==> azure-arm: Deploying deployment template ...`,
      `${T} ui error: ==> azure-arm: ERROR: -> InvalidTemplateDeployment : The template deployment failed because of policy violation.`,
      `==> Builds finished but no artifacts were created.`,
    ]);
    const e = summarizeLog(early, webSteps);
    assert.equal(e.step, undefined);
    assert.equal(
      e.error,
      "ERROR: -> InvalidTemplateDeployment : The template deployment failed because of policy violation.",
    );
    assert.ok(e.lines.length === 3 && e.lines[0].endsWith("Deploying deployment template ..."));
    const { text, outputs } = failureDetails({ summary: e }, "PackerBuildFailed: …");
    assert.ok(!text.includes("Failing step"));
    assert.equal(outputs.lastBuildError, e.error);
  });
});

describe("build log: where a running build is, from the log written so far", () => {
  const steps: PlannedStep[] = [
    { type: "Shell", name: "install-nginx" },
    { type: "File", name: "site" },
  ];
  const validations: PlannedStep[] = [{ type: "Shell", name: "check-nginx" }];
  const lines = [
    `${T} ui: ==> azure-arm: Deploying deployment template ...`,
    `${T} [INFO] (telemetry) Starting provisioner shell`,
    `${T} ui: ==> azure-arm: Provisioning with shell script: /tmp/packer-shell11`,
    `${T} [INFO] (telemetry) ending shell`,
    `${T} [INFO] (telemetry) Starting provisioner file`,
    `${T} ui: ==> azure-arm: Uploading index.html => /var/www/html/index.html`,
    `${T} [INFO] (telemetry) ending file`,
    `${T} [INFO] (telemetry) Starting provisioner shell`,
    `${T} ui: ==> azure-arm: Provisioning with shell script: /tmp/packer-shell12`,
    `${T} [INFO] (telemetry) ending shell`,
    `${T} [INFO] (telemetry) Starting provisioner shell`,
    `${T} ui: ==> azure-arm: Provisioning with shell script: /tmp/packer-shell13`,
    `${T} [INFO] (telemetry) ending shell`,
    `${T} ui: ==> azure-arm: Skipping image creation...`,
    `==> Builds finished but no artifacts were created.`,
    `Done exporting Packer logs to Azure Storage.`,
  ];
  const after = (n: number) => logProgress(recent(lines.slice(0, n)), steps, validations);
  const summary = (n: number) => {
    const p = after(n);
    return [p.phase, p.step && `${p.step.kind} ${p.step.number}/${p.step.count} ${p.step.name} (${p.step.type})`];
  };

  it("steps through customizers, validations, the service's last step and Packer's end", () => {
    assert.deepEqual(summary(0), ["starting", undefined]);
    assert.deepEqual(summary(1), ["starting", undefined]);
    assert.deepEqual(summary(2), ["customizing", "customizer 1/2 install-nginx (Shell)"]);
    assert.deepEqual(summary(4), ["customizing", "customizer 1/2 install-nginx (Shell)"]);
    assert.deepEqual(summary(5), ["customizing", "customizer 2/2 site (File)"]);
    assert.deepEqual(summary(8), ["validating", "validation 1/1 check-nginx (Shell)"]);
    assert.deepEqual(summary(11), ["deprovisioning", undefined]);
    assert.deepEqual(summary(13), ["finishing", undefined]);
    assert.deepEqual(summary(15), ["done", undefined]);
    assert.equal(after(5).stepStartLine, 4, "the line where the step started");
    assert.equal(after(5).provisioningFailed, false);
  });

  it("a line cut short at the end of a partial read does not count", () => {
    const cut = recent(lines.slice(0, 4)) + `${OP} PACKER ${T} [INFO] (telemetry) Starting provis`;
    assert.deepEqual(logProgress(cut, steps).step?.number, 1);
  });
});
