/**
 * The emulator's customization.log (a pure function of the run's timeline) read by the provider's step finder at
 * every moment of the run, in both shapes: what the log says so far is the step the emulator is in.
 */
import assert from "node:assert/strict";
import type { RunRecord, TemplateRecord } from "../../emulator/model";
import { packerLog, type LogShape } from "../../emulator/packer-log";
import { logProgress, type PlannedStep } from "../../provider/image-template/log-progress";

const START = Date.UTC(2026, 0, 1, 10, 0, 0);
const customize = [
  { type: "PowerShell", name: "tools", inline: ["Install-Tools"] },
  { type: "WindowsRestart", name: "reboot" },
  { type: "File", name: "config", sourceUri: "https://example.com/cfg/app.json?sv=1", destination: "C:\\app.json" },
  { type: "WindowsUpdate", name: "updates" },
];
const validations = [{ type: "PowerShell", name: "check", inline: ["Test-App"] }];
const template = {
  id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.VirtualMachineImages/imageTemplates/win",
  name: "win",
  exactStagingResourceGroup: "/subscriptions/s/resourceGroups/IT_rg_win_0",
  properties: { customize, validate: { inVMValidations: validations } },
} as unknown as TemplateRecord;
const run = (shape: LogShape, extra: Partial<RunRecord> = {}): RunRecord => ({
  number: 1,
  startedAt: START,
  durationMs: 600_000,
  subStates: ["Queued", "Building", "Customizing", "Validating", "Distributing"],
  distribute: [],
  operationId: "0f4e2a1c-5b7d-4c3e-9a8f-1d2c3b4a5e6f",
  logShape: shape,
  ...extra,
});
/** The log as a reader sees it at `at`: the lines written by then. */
const logAt = (r: RunRecord, at: number) =>
  packerLog(template, r)
    .filter((l) => l.at <= at)
    .map((l) => `${l.text}\n`)
    .join("");
const where = (text: string) => {
  const p = logProgress(text, customize as PlannedStep[], validations);
  return p.step ? `${p.phase} ${p.step.kind} ${p.step.number}/${p.step.count} ${p.step.name}` : p.phase;
};

for (const shape of ["recent", "older"] as const) {
  describe(`emulator build log (${shape} shape) read by the provider's step finder`, () => {
    it("names, at each moment, the step the run is in, through validation, deprovisioning and Packer's end", () => {
      const r = run(shape);
      const seen: string[] = [];
      for (let at = START; at <= START + r.durationMs; at += 5_000) {
        const now = where(logAt(r, at));
        if (seen.at(-1) !== now) seen.push(now);
      }
      assert.deepEqual(seen, [
        "starting",
        "customizing customizer 1/4 tools",
        "customizing customizer 2/4 reboot",
        "customizing customizer 3/4 config",
        "customizing customizer 4/4 updates",
        "validating validation 1/1 check",
        "deprovisioning",
        "finishing",
        "done",
      ]);
    });

    it("a failed run's log names the failing step; no line of a later step is written", () => {
      const r = run(shape, { failMessage: "PackerBuildFailed: …", failStep: 2, failOutput: ["Access denied."] });
      const text = logAt(r, START + r.durationMs);
      const p = logProgress(text, customize as PlannedStep[], validations);
      assert.deepEqual(p.step, { kind: "customizer", number: 3, count: 4, name: "config", type: "File" });
      assert.ok(p.provisioningFailed);
      assert.match(text, /azure-arm: Uploading app\.json => C:\\app\.json\n/);
      assert.match(text, /azure-arm: Access denied\.\n/);
      assert.doesNotMatch(text, /Windows update/);
    });
  });
}
