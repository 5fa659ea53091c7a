import type { Json, JsonObject, RunRecord, TemplateRecord } from "./model";
import { runEnd } from "./model";
import { stableGuid } from "./views";
import { resourceId } from "./resource-ids";

/*
 * A build's `customization.log`, as the service's Packer writes it into the staging storage account while the build
 * runs, in one of the service's two shapes (every line starts with the run's operation id in brackets):
 * - "recent" (the default): `PACKER yyyy/mm/dd hh:mm:ss ui: <UI line>` for Packer's UI echoed into its log,
 *   `PACKER yyyy/mm/dd hh:mm:ss <log line>` for its debug log, `PACKER <line>` for what it prints straight out, and the
 *   service's closing `PACKER Done exporting Packer logs to Azure Storage.`;
 * - "older" (2019 to mid 2023): `PACKER OUT <UI line>`, `PACKER ERR <UI error line>` and
 *   `PACKER ERR yyyy/mm/dd hh:mm:ss <log line>`.
 * There is no per-step header: each customizer shows as Packer's `(telemetry) Starting provisioner <type>` log line
 * and the line its provisioner prints first, then the step's own output. Inline commands are not echoed (Packer runs
 * them from a temporary script), so a secret command line never reaches the log. The service adds a last hidden
 * step (the deprovisioning script) and exports the log when Packer exits, before distributing: the log never shows
 * a distribution. The log is derived from the run's timeline (like everything the emulator reports); build-log-writer.ts
 * writes it to the blob as its lines fall due.
 */

export const LOG_CONTAINER = "packerlogs";
const TROUBLESHOOTING = "https://aka.ms/azvmimagebuilderts";

export type LogShape = "recent" | "older";
export const LOG_SHAPES: readonly LogShape[] = ["recent", "older"];

export interface LogLine {
  /** When the line is written (epoch ms). */
  at: number;
  text: string;
}

/** The run's log folder: a GUID per run, stable across reads and restarts. */
export const logFolder = (t: TemplateRecord, run: RunRecord) =>
  stableGuid(`${t.id}:log:${run.number}:${run.startedAt}`);
export const logBlobName = (t: TemplateRecord, run: RunRecord) => `${logFolder(t, run)}/customization.log`;
const operationIdOf = (t: TemplateRecord, run: RunRecord) => run.operationId ?? stableGuid(`${t.id}:run:${run.number}`);

/** The service's PackerBuildFailed message: the log's location as an ARM path and the operation id to search for. */
export function packerFailureMessage(t: TemplateRecord, run: RunRecord, account: string): string {
  const location = `${resourceId(t.exactStagingResourceGroup, "Microsoft.Storage", "storageAccounts", account, "blobServices", "default", "containers", LOG_CONTAINER)}/${logBlobName(t, run)}`;
  return `During the image build a failure has occurred. Packer build logs are at location ${location}. Use this operationId ${operationIdOf(t, run)} to search packer logs. For more troubleshooting steps go to ${TROUBLESHOOTING}.`;
}

const str = (v: Json | undefined) => (typeof v === "string" ? v : "");
const objects = (v: Json | undefined) =>
  Array.isArray(v) ? v.filter((x): x is JsonObject => typeof x === "object" && x !== null && !Array.isArray(x)) : [];

/** Packer's provisioner type for each step type of the service. */
const PROVISIONER: Record<string, string> = {
  Shell: "shell",
  PowerShell: "powershell",
  File: "file",
  WindowsRestart: "windows-restart",
  WindowsUpdate: "windows-update",
};
const WINDOWS_STEPS = new Set(["PowerShell", "WindowsRestart", "WindowsUpdate"]);

/** A number Packer would put in a temporary file's name, stable for the step. */
const tempSuffix = (seed: string) => String(parseInt(stableGuid(seed).replace(/-/g, "").slice(0, 8), 16));

/** What a step's provisioner prints when it starts (Packer UI lines). */
function stepStart(step: JsonObject, seed: string): string[] {
  switch (step.type) {
    case "Shell":
      return [`==> azure-arm: Provisioning with shell script: /tmp/packer-shell${tempSuffix(seed)}`];
    case "PowerShell":
      return [`==> azure-arm: Provisioning with powershell script: /tmp/powershell-provisioner${tempSuffix(seed)}`];
    case "File": {
      const source = str(step.sourceUri).split(/[?#]/)[0].split("/").pop() || "file";
      return [`==> azure-arm: Uploading ${source} => ${str(step.destination)}`];
    }
    case "WindowsRestart":
      return ["==> azure-arm: Restarting Machine", "==> azure-arm: Waiting for machine to restart..."];
    case "WindowsUpdate":
      return [
        "==> azure-arm: Uploading the Windows update elevated script...",
        "==> azure-arm: Running Windows update...",
      ];
    default:
      return [];
  }
}

/** What a failing step prints by default: the kind of error its users search logs for. */
function defaultFailureOutput(step: JsonObject | undefined): string[] {
  if (step?.type === "PowerShell")
    return ["Exception: The term 'Install-App' is not recognized as a name of a cmdlet."];
  return ["E: Unable to locate package nginx-custom", "E: Could not find the package the script asked for"];
}

/** The error Packer ends a build with when the step fails. */
const failureReason = (step: JsonObject | undefined) =>
  step?.type === "WindowsRestart"
    ? "Timeout waiting for machine to restart."
    : "Script exited with non-zero exit status: 1. Allowed exit codes are: [0]";

/** Packer's way of saying how long something took: "4 minutes 2 seconds". */
function packerDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} minutes ${s % 60} seconds` : `${s} seconds`;
}

/** How each kind of Packer output is written in each shape. */
function writer(shape: LogShape, id: string, lines: LogLine[]) {
  const stamp = (at: number) => new Date(at).toISOString().slice(0, 19).replace("T", " ").replace(/-/g, "/");
  const put = (at: number, text: string) => lines.push({ at, text: `[${id}] PACKER ${text}` });
  const older = shape === "older";
  return {
    /** A UI line (ui.Say / ui.Message). */
    say: (at: number, m: string) => put(at, older ? `OUT ${m}` : `${stamp(at)} ui: ${m}`),
    /** A UI error (ui.Error): the older shape has it on stdout and in the log. */
    error: (at: number, m: string) => {
      if (older) put(at, `OUT ${m}`);
      put(at, `${older ? "ERR " : ""}${stamp(at)} ui error: ${m}`);
    },
    /** A line Packer prints straight out, with no copy in its log (its closing summary). */
    out: (at: number, m: string) => put(at, older ? `OUT ${m}` : m),
    /** A cleanup message the builder writes to stderr, with no copy in its log. */
    err: (at: number, m: string) => put(at, older ? `ERR ${m}` : m),
    /** Packer's debug log. */
    log: (at: number, m: string) => put(at, `${older ? "ERR " : ""}${stamp(at)} ${m}`),
    /** The service's own closing line (recent shape only). */
    exported: (at: number) => {
      if (!older) put(at, "Done exporting Packer logs to Azure Storage.");
    },
  };
}

/** Every line of the run's log with the time it is written; a canceled run's log stops at the cancel. */
export function packerLog(t: TemplateRecord, run: RunRecord): LogLine[] {
  const id = operationIdOf(t, run);
  const lines: LogLine[] = [];
  const w = writer(run.logShape ?? "recent", id, lines);
  const slice = run.durationMs / run.subStates.length;
  const phaseStart = (name: string) => run.startedAt + slice * Math.max(0, run.subStates.indexOf(name as never));
  const end = runEnd(run);
  const steps = objects(t.properties.customize);
  const validations = objects((t.properties.validate as JsonObject | undefined)?.inVMValidations);
  const windows = steps.some((s) => WINDOWS_STEPS.has(str(s.type)));

  const building = phaseStart("Building");
  w.log(building, "[INFO] Packer version: 1.10.0 [go1.21.6 linux amd64]");
  w.say(building, "==> azure-arm: Running builder ...");
  w.say(building, "==> azure-arm: Deploying deployment template ...");
  if (windows) {
    w.say(building, "==> azure-arm: Waiting for WinRM to become available...");
    w.log(building, "packer-plugin-azure plugin: Waiting for WinRM, up to timeout: 10m0s");
    w.say(building, "    azure-arm: WinRM connected.");
    w.say(building, "==> azure-arm: Connected to WinRM!");
  } else {
    w.say(building, "==> azure-arm: Waiting for SSH to become available...");
    w.log(building, "packer-plugin-azure plugin: [INFO] Waiting for SSH, up to timeout: 20m0s");
    w.say(building, "==> azure-arm: Connected to SSH!");
  }

  /** One provisioner: its telemetry line, what it prints first, its output, and (unless it fails) its end. */
  const provision = (at: number, length: number, step: JsonObject, seed: string, fails?: string[]) => {
    const type = PROVISIONER[str(step.type)] ?? str(step.type).toLowerCase();
    w.log(at, `[INFO] (telemetry) Starting provisioner ${type}`);
    for (const line of stepStart(step, seed)) w.say(at, line);
    if (fails) {
      for (const line of fails) w.say(at + length * 0.6, `    azure-arm: ${line}`);
      return;
    }
    w.log(at + length * 0.9, `[INFO] (telemetry) ending ${type}`);
  };

  const failing = run.failMessage === undefined ? -1 : (run.failStep ?? steps.length - 1);
  const customizing = phaseStart("Customizing");
  // Each phase's steps share it with the hidden last step, which runs once they all have.
  const stepSlice = slice / (steps.length + 1);
  for (const [i, step] of steps.entries()) {
    if (failing >= 0 && i > failing) break;
    const fails = i === failing ? (run.failOutput ?? defaultFailureOutput(step)) : undefined;
    provision(customizing + i * stepSlice, stepSlice, step, `${id}:customize:${i}`, fails);
  }
  const took = (at: number) => packerDuration(at - building);
  // Packer exits when the build fails, or once the build VM is captured (before the service optimizes, distributes).
  const exit = failing >= 0 ? end.at : phaseStart(run.subStates.includes("Optimizing") ? "Optimizing" : "Distributing");
  if (failing >= 0) {
    const at = Math.min(customizing + (failing + 0.8) * stepSlice, end.at - 1);
    const reason = failureReason(steps[failing]);
    w.say(at, "==> azure-arm: Provisioning step had errors: Running the cleanup provisioner, if present...");
    w.err(at, "==> azure-arm: Deleting individual resources ...");
    w.error(exit, `Build 'azure-arm' errored after ${took(exit)}: ${reason}`);
    w.out(exit, `==> Wait completed after ${took(exit)}`);
    w.out(exit, "==> Some builds didn't complete successfully and had errors:");
    w.out(exit, `--> azure-arm: ${reason}`);
  } else {
    const validating = run.subStates.includes("Validating");
    const validationSlice = slice / (validations.length + 1);
    for (const [i, step] of validations.entries()) {
      provision(phaseStart("Validating") + i * validationSlice, validationSlice, step, `${id}:validate:${i}`);
    }
    const [lastAt, lastSlice] = validating
      ? [phaseStart("Validating") + validations.length * validationSlice, validationSlice]
      : [customizing + steps.length * stepSlice, stepSlice];
    provision(lastAt, lastSlice, { type: windows ? "PowerShell" : "Shell" }, `${id}:deprovision`);
    w.say(exit, "==> azure-arm: Skipping image creation...");
    w.err(exit, "==> azure-arm: Deleting individual resources ...");
    w.say(exit, `Build 'azure-arm' finished after ${took(exit)}.`);
    w.out(exit, `==> Wait completed after ${took(exit)}`);
  }
  w.out(exit, "==> Builds finished but no artifacts were created.");
  w.log(exit, "[INFO] (telemetry) Finalizing.");
  w.exported(exit);
  const ordered = lines.sort((a, b) => a.at - b.at);
  if (run.cancel && run.cancel.requestedAt < end.at) {
    const { requestedAt, completesAt } = run.cancel;
    const kept = ordered.filter((l) => l.at <= requestedAt);
    const cancel = writer(run.logShape ?? "recent", id, kept);
    cancel.out(requestedAt, "Cancelling build after receiving terminated");
    cancel.log(requestedAt, "Cancelling builder after context cancellation context canceled");
    cancel.err(completesAt, "==> azure-arm: Deleting individual resources ...");
    cancel.log(completesAt, "[INFO] (telemetry) Finalizing.");
    cancel.exported(completesAt);
    return kept;
  }
  return ordered;
}
