import type { Json, JsonObject, RunRecord, TemplateRecord } from "./model";
import { runEnd } from "./model";
import type { StagingStorage } from "./staging-storage";
import type { Repository } from "./store/repository";
import { stableGuid } from "./views";
import { resourceId } from "./resource-ids";

/*
 * A build's `customization.log`, as the service's Packer writes it into the staging storage account while the build
 * runs: every line starts with the run's operation id, Packer's UI output is `PACKER OUT`, its stderr `PACKER ERR`
 * with a timestamp. Each customizer gets a header with its number, name and type. The log is derived from the run's
 * timeline (like everything the emulator reports), and written to the blob as its lines fall due.
 */

export const LOG_CONTAINER = "packerlogs";
const TROUBLESHOOTING = "https://aka.ms/azvmimagebuilderts";

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
const strings = (v: Json | undefined) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/** What a step prints when it starts: its provisioner line and, for inline steps, each command. */
function stepBody(step: JsonObject): string[] {
  switch (step.type) {
    case "Shell":
      return step.scriptUri
        ? [`==> azure-arm: Provisioning with shell script: ${str(step.scriptUri)}`]
        : [
            "==> azure-arm: Provisioning with shell script: inline",
            ...strings(step.inline).map((c) => `    azure-arm: + ${c}`),
          ];
    case "PowerShell":
      return step.scriptUri
        ? [`==> azure-arm: Provisioning with powershell script: ${str(step.scriptUri)}`]
        : [
            "==> azure-arm: Provisioning with powershell script: inline",
            ...strings(step.inline).map((c) => `    azure-arm: PS> ${c}`),
          ];
    case "File":
      return [`==> azure-arm: Uploading ${str(step.sourceUri)} => ${str(step.destination)}`];
    case "WindowsRestart":
      return ["==> azure-arm: Restarting Machine", "    azure-arm: Waiting for machine to restart..."];
    case "WindowsUpdate":
      return [
        `==> azure-arm: Searching for Windows updates (${str(step.searchCriteria) || "BrowseOnly=0 and IsInstalled=0"})`,
      ];
    default:
      return [`==> azure-arm: Running ${str(step.type)} step`];
  }
}

/** What a failing step prints by default: the kind of error its users search logs for. */
function defaultFailureOutput(step: JsonObject | undefined): string[] {
  if (step?.type === "PowerShell")
    return ["Exception: The term 'Install-App' is not recognized as a name of a cmdlet."];
  return ["E: Unable to locate package nginx-custom", "E: Could not find the package the script asked for"];
}

const objects = (v: Json | undefined) =>
  Array.isArray(v) ? v.filter((x): x is JsonObject => typeof x === "object" && x !== null && !Array.isArray(x)) : [];

/** Every line of the run's log with the time it is written; a canceled run's log stops at the cancel. */
export function packerLog(t: TemplateRecord, run: RunRecord): LogLine[] {
  const id = operationIdOf(t, run);
  const lines: LogLine[] = [];
  const stamp = (at: number) => new Date(at).toISOString().slice(0, 19).replace("T", " ").replace(/-/g, "/");
  const out = (at: number, text: string) => lines.push({ at, text: `[${id}] PACKER OUT ${text}` });
  const err = (at: number, text: string) => lines.push({ at, text: `[${id}] PACKER ERR ${stamp(at)} ${text}` });
  const slice = run.durationMs / run.subStates.length;
  const phaseStart = (name: string) => run.startedAt + slice * Math.max(0, run.subStates.indexOf(name as never));
  const end = runEnd(run);

  out(run.startedAt, `azure-arm: output will be in this color. Build of image template ${t.name}, run ${run.number}`);
  out(phaseStart("Building"), "==> azure-arm: Creating temporary resource group and build VM ...");
  out(
    phaseStart("Building"),
    `==> azure-arm: Build VM size: ${str((t.properties.vmProfile as JsonObject | undefined)?.vmSize) || "Standard_D2ds_v4"}`,
  );

  const steps = objects(t.properties.customize);
  const failing = run.failMessage === undefined ? -1 : (run.failStep ?? steps.length - 1);
  const stepSlice = slice / Math.max(1, steps.length);
  const customizing = phaseStart("Customizing");
  for (const [i, step] of steps.entries()) {
    if (failing >= 0 && i > failing) break;
    const at = customizing + i * stepSlice;
    out(at, `==> azure-arm: Customizer ${i + 1}/${steps.length}: "${str(step.name)}" (${str(step.type)})`);
    for (const line of stepBody(step)) out(at + stepSlice * 0.25, line);
  }
  if (failing >= 0) {
    const at = Math.min(customizing + (failing + 0.6) * stepSlice, end.at - 1);
    for (const line of run.failOutput ?? defaultFailureOutput(steps[failing])) out(at, `    azure-arm: ${line}`);
    const reason = "Script exited with non-zero exit status: 1. Allowed exit codes are: [0]";
    err(at, `ui error: ==> azure-arm: ${reason}`);
    err(end.at, `ui error: Build 'azure-arm' errored after ${Math.round((end.at - run.startedAt) / 1000)}s: ${reason}`);
    out(end.at, "==> Some builds didn't complete successfully and had errors:");
    out(end.at, `--> azure-arm: ${reason}`);
  } else {
    const validations = objects((t.properties.validate as JsonObject | undefined)?.inVMValidations);
    for (const [i, step] of validations.entries()) {
      const at = phaseStart("Validating");
      out(at, `==> azure-arm: Validation ${i + 1}/${validations.length}: "${str(step.name)}" (${str(step.type)})`);
      for (const line of stepBody(step)) out(at, line);
    }
    for (const d of objects(run.distribute)) {
      out(phaseStart("Distributing"), `==> azure-arm: Distributing ${str(d.type)} "${str(d.runOutputName)}"`);
      if (run.failedDistribution?.runOutputName === d.runOutputName) {
        err(phaseStart("Distributing"), `ui error: ==> azure-arm: ${run.failedDistribution.message}`);
      }
    }
    out(end.at, "==> Builds finished. The artifacts of successful builds are:");
    out(end.at, `--> azure-arm: Azure.ResourceManagement.VMImage: image template ${t.name}, run ${run.number}`);
  }
  if (run.cancel && run.cancel.requestedAt < end.at) {
    const kept = lines.filter((l) => l.at <= run.cancel!.requestedAt);
    kept.push({ at: run.cancel.completesAt, text: `[${id}] PACKER OUT ==> azure-arm: Build was canceled.` });
    return kept;
  }
  return lines.sort((a, b) => a.at - b.at);
}

/**
 * Writes each run's log lines to its append blob once they are due: on every status read of the template (so a run
 * reported as ended has its whole log) and from a timer while builds run, as the service's log grows by itself.
 */
export class BuildLogWriter {
  /** Lines already in the blob, per run; unknown after a restart until the blob's length says. */
  private readonly written = new Map<string, number>();
  private readonly complete = new Set<string>();
  private readonly queue = new Map<string, Promise<void>>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    repository: Repository,
    private readonly storage: StagingStorage,
    private readonly log: (message: string) => void,
    clock: () => number,
  ) {
    this.timer = setInterval(() => {
      const now = clock();
      for (const t of repository.templatesUnder("", now)) if (t.run) void this.sync(t, now);
    }, 250);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  sync(t: TemplateRecord, now: number): Promise<void> {
    const run = t.run;
    if (!run || now < run.startedAt) return Promise.resolve();
    const key = `${t.id.toLowerCase()}#${run.number}#${run.startedAt}`;
    if (this.complete.has(key)) return Promise.resolve();
    const next = (this.queue.get(key) ?? Promise.resolve())
      .then(() => this.write(key, t, run, now))
      .catch((e: unknown) => this.log(`writing the build log of ${t.id} failed: ${(e as Error).message}`));
    this.queue.set(key, next);
    return next;
  }

  private async write(key: string, t: TemplateRecord, run: RunRecord, now: number): Promise<void> {
    const lines = packerLog(t, run);
    const due = lines.filter((l) => l.at <= now).length;
    const blob = this.storage.appendBlob(
      this.storage.accountFor(t.exactStagingResourceGroup),
      LOG_CONTAINER,
      logBlobName(t, run),
    );
    let written = this.written.get(key);
    if (written === undefined) {
      const length = await blob.getProperties().then(
        (p) => p.contentLength ?? 0,
        () => undefined,
      );
      if (length === undefined) {
        await this.createBlob(t, run);
        written = 0;
      } else {
        written = linesIn(lines, length);
      }
    }
    if (due > written) {
      const text = lines
        .slice(written, due)
        .map((l) => `${l.text}\n`)
        .join("");
      await blob.appendBlock(text, Buffer.byteLength(text));
      written = due;
    }
    this.written.set(key, written);
    if (written === lines.length && now >= lines[lines.length - 1].at) {
      this.complete.add(key);
      this.written.delete(key);
    }
  }

  private async createBlob(t: TemplateRecord, run: RunRecord): Promise<void> {
    const account = this.storage.accountFor(t.exactStagingResourceGroup);
    await this.storage.container(account, LOG_CONTAINER).createIfNotExists();
    await this.storage.appendBlob(account, LOG_CONTAINER, logBlobName(t, run)).createIfNotExists();
  }
}

/** How many whole lines of `lines` make up the first `bytes` bytes of the blob. */
function linesIn(lines: LogLine[], bytes: number): number {
  let total = 0;
  for (const [i, l] of lines.entries()) {
    total += Buffer.byteLength(l.text) + 1;
    if (total > bytes) return i;
  }
  return lines.length;
}
