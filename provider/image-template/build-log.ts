// Types only at module level: the storage SDK is loaded when a log is first read.
import { StringDecoder } from "node:string_decoder";
import type { ImageTemplate } from "@azure/arm-imagebuilder";
import type { BlobClient } from "@azure/storage-blob";
import type { Connection } from "../azure/client";
import { userAgentOptions } from "../azure/user-agent";
import { serviceError } from "../errors";
import {
  type LogLine,
  type LogPhase,
  type LogStep,
  type PlannedStep,
  logProgress,
  parseLogLine,
  withoutOperationId,
} from "./log-progress";

/*
 * The build's customization.log, which the service's Packer writes into the staging resource group's storage account:
 * read with @azure/storage-blob and the ARM credential (storage scope), at the blob endpoint the storage account
 * reports (so sovereign clouds work). Reading it never decides a build's result: a log that cannot be read gets one
 * line saying what is missing.
 */

export type LogMode = "onFailure" | "stream" | "off";

const STORAGE_API_VERSION = "2023-05-01";
const CONTAINER = "packerlogs";
/** Run states after which no status read (and so no poll) follows. */
const ENDED = new Set(["Succeeded", "PartiallySucceeded", "Failed", "Canceled"]);
/** At most this many log lines in a failed up's error. */
export const MAX_FAILURE_LINES = 40;

/** The log's account and blob path, from a failure message: the recent service's ARM path, or an older blob URL. */
export function logLocationIn(message: string): { account: string; blob: string } | undefined {
  const m =
    /\/storageAccounts\/([a-z0-9]+)\/blobServices\/default\/containers\/packerlogs\/(\S+?\/customization\.log)/i.exec(
      message,
    ) ?? /https:\/\/([a-z0-9]+)\.blob\.[^/\s]+\/packerlogs\/(\S+?\/customization\.log)/i.exec(message);
  return m ? { account: m[1], blob: m[2] } : undefined;
}

export interface LogSummary {
  /** The step that failed (none when the build failed before the first step, or in a step of the service's own). */
  step?: LogStep;
  /** The phase the build failed in. */
  phase: LogPhase;
  /** Packer's UI lines from the failing step's start (each once), the last MAX_FAILURE_LINES of them. */
  lines: string[];
  /** The error Packer reported for the build, if it says. */
  error?: string;
}

/** The steps a template runs, in order: its customizers, then its in-VM validations. */
export function plannedSteps(template: Pick<ImageTemplate, "customize" | "validate">): {
  customize: PlannedStep[];
  validate: PlannedStep[];
} {
  return { customize: template.customize ?? [], validate: template.validate?.inVMValidations ?? [] };
}

const BUILD_ERRORS = /^==> Some builds didn't complete successfully/;
const BUILD_ERROR = /^--> [\w.-]+: (.*)$/;
const BUILD_ERRORED = /^Build '[^']+' errored(?: after [^:]+)?: (.*)$/;
/** How far apart the stdout and the log copy of one UI line may be. */
const COPY_DISTANCE = 6;

/** UI lines from `from` on, each once: a line Packer printed and also echoed into its log is shown once. */
function uiLines(lines: LogLine[], from: number): LogLine[] {
  const kept: LogLine[] = [];
  for (const l of lines.slice(from)) {
    if (l.kind !== "ui" || /^(==> [\w.-]+:)?\s*$/.test(l.message)) continue;
    const copy = kept.slice(-COPY_DISTANCE).some((k) => k.message === l.message && k.timestamped !== l.timestamped);
    if (!copy) kept.push(l);
  }
  return kept;
}

/** The error a failed build's log ends with: Packer's per-build summary, else its first UI error. */
function buildError(lines: LogLine[]): string | undefined {
  const summary = lines.findIndex((l) => BUILD_ERRORS.test(l.message));
  const listed = summary >= 0 ? lines.slice(summary + 1).find((l) => BUILD_ERROR.test(l.message)) : undefined;
  if (listed) return BUILD_ERROR.exec(listed.message)![1];
  const errored = lines.find((l) => l.kind === "ui" && BUILD_ERRORED.test(l.message));
  if (errored) return BUILD_ERRORED.exec(errored.message)![1];
  return lines.find((l) => l.kind === "ui" && l.error)?.message.replace(/^==> [\w.-]+: /, "");
}

/** What a failed build's log says: the step that failed, its lines, and Packer's error. */
export function summarizeLog(text: string, customize: PlannedStep[], validate: PlannedStep[] = []): LogSummary {
  const lines = text.split("\n").map(parseLogLine);
  const progress = logProgress(text, customize, validate);
  const error = buildError(lines);
  return {
    ...(progress.step ? { step: progress.step } : {}),
    phase: progress.phase,
    lines: uiLines(lines, progress.stepStartLine ?? 0)
      .slice(-MAX_FAILURE_LINES)
      .map((l) => l.text),
    ...(error ? { error } : {}),
  };
}

function summarize(text: string, template: ImageTemplate): LogSummary {
  const { customize, validate } = plannedSteps(template);
  return summarizeLog(text, customize, validate);
}

/** One line saying why the log could not be read, and what would make it readable. */
export function unreadableAdvice(e: unknown, what: string, stagingGroup: string | undefined): string {
  const { status, code, message } = serviceError(e);
  const scope = stagingGroup ?? "the template's staging resource group";
  if (status === 403) {
    return `Cannot read ${what} (403 ${code ?? "Forbidden"}): the identity running pulumi needs the "Storage Blob Data Reader" role on ${scope}.`;
  }
  if (status === 404) return `Cannot read ${what}: not found (404 ${code ?? ""}).`.replace(" )", ")");
  return `Cannot read ${what}: ${message.split("\n")[0]}.`;
}

export interface FailureReport {
  /** The blob URL of the log, when found. */
  url?: string;
  summary?: LogSummary;
  /** Why the log could not be read. */
  advice?: string;
}

/**
 * Reads one build's log. In stream mode `poll` is called after every status read and prints the log's new complete
 * lines, reading only the bytes after those already read (one blob request per poll at most); `failure` then reuses
 * what was read.
 */
export class BuildLog {
  /** Blob bytes received, and blob requests sent (the bench's figures). */
  bytesRead = 0;
  blobRequests = 0;
  url: string | undefined;
  private blob: BlobClient | undefined;
  private text = "";
  private partial = "";
  private readonly decoder = new StringDecoder("utf8");
  private stopped = false;
  private endpoints: Map<string, string> | undefined;

  constructor(
    private readonly c: Connection,
    readonly mode: LogMode,
    private readonly print: (line: string) => void,
  ) {}

  /** The complete lines read so far (stream mode). */
  get textSoFar(): string {
    return this.text;
  }

  /** Stream mode: finds the run's log (once it exists), then prints what was appended since the last poll. */
  async poll(template: ImageTemplate): Promise<void> {
    if (this.mode !== "stream" || this.stopped) return;
    try {
      if (!this.blob) {
        await this.findRunningLog(template);
        // Found on the build's last status read (a short build): nothing would read it after this one.
        if (this.blob && ENDED.has(template.lastRunStatus?.runState ?? "")) await this.readNew();
      } else {
        await this.readNew();
      }
    } catch (e) {
      this.stopped = true;
      this.print(unreadableAdvice(e, this.url ?? "the build log", template.exactStagingResourceGroup));
    }
  }

  /** What a failed build's log says, read once (or from what streaming already read), or why it could not be read. */
  async failure(template: ImageTemplate): Promise<FailureReport> {
    const staging = template.exactStagingResourceGroup;
    try {
      if (this.blob && !this.stopped) {
        await this.readNew();
        return { url: this.url, summary: summarize(this.text + this.partial, template) };
      }
      const location = logLocationIn(template.lastRunStatus?.message ?? "");
      if (!location) return { advice: "The build's status names no build log location." };
      const endpoint = (await this.accountEndpoints(staging)).get(location.account);
      if (!endpoint)
        return { advice: `The staging resource group ${staging} has no storage account ${location.account}.` };
      this.open(`${endpoint}${CONTAINER}/${location.blob}`);
      this.blobRequests += 1;
      const buffer = await this.blob!.downloadToBuffer();
      this.bytesRead += buffer.length;
      return { url: this.url, summary: summarize(buffer.toString("utf8"), template) };
    } catch (e) {
      return {
        ...(this.url ? { url: this.url } : {}),
        advice: unreadableAdvice(e, this.url ?? "the build log", staging),
      };
    }
  }

  private open(url: string): void {
    const { BlobClient } = require("@azure/storage-blob") as typeof import("@azure/storage-blob");
    this.url = url;
    this.blob = new BlobClient(url, this.c.credential, { userAgentOptions: userAgentOptions() });
  }

  /** The staging group's storage accounts' blob endpoints by account name (one ARM request, then kept). */
  private async accountEndpoints(stagingGroup: string | undefined): Promise<Map<string, string>> {
    if (this.endpoints) return this.endpoints;
    if (!stagingGroup) throw new Error("the template reports no staging resource group");
    const { createDefaultHttpClient, createPipelineRequest } =
      require("@azure/core-rest-pipeline") as typeof import("@azure/core-rest-pipeline");
    const url = `${this.c.endpoint.replace(/\/$/, "")}${stagingGroup}/providers/Microsoft.Storage/storageAccounts?api-version=${STORAGE_API_VERSION}`;
    // Through the Image Builder client's pipeline: the same ARM token, retries and TLS settings.
    const request = createPipelineRequest({ url, method: "GET" });
    const response = await this.c.client.pipeline.sendRequest(createDefaultHttpClient(), request);
    const body = JSON.parse(response.bodyAsText ?? "{}") as {
      value?: { name?: string; properties?: { primaryEndpoints?: { blob?: string } } }[];
      error?: { code?: string; message?: string };
    };
    if (response.status !== 200) {
      const message = `listing the storage accounts of ${stagingGroup}: ${body.error?.message ?? response.status}`;
      throw Object.assign(new Error(message), { statusCode: response.status, code: body.error?.code });
    }
    this.endpoints = new Map(
      (body.value ?? [])
        .filter((a) => a.name && a.properties?.primaryEndpoints?.blob)
        .map((a) => [a.name!, a.properties!.primaryEndpoints!.blob!.replace(/\/?$/, "/")]),
    );
    return this.endpoints;
  }

  /** The newest customization.log in the staging account(s) written since this run started; read from the next poll. */
  private async findRunningLog(template: ImageTemplate): Promise<void> {
    const started = template.lastRunStatus?.startTime;
    if (!started) return;
    const { ContainerClient } = require("@azure/storage-blob") as typeof import("@azure/storage-blob");
    for (const endpoint of (await this.accountEndpoints(template.exactStagingResourceGroup)).values()) {
      this.blobRequests += 1;
      let newest: { name: string; created: number } | undefined;
      const container = new ContainerClient(`${endpoint}${CONTAINER}`, this.c.credential, {
        userAgentOptions: userAgentOptions(),
      });
      try {
        for await (const b of container.listBlobsFlat()) {
          const created = b.properties.createdOn?.getTime() ?? 0;
          if (b.name.endsWith("/customization.log") && created >= started.getTime() - 1000) {
            if (!newest || created > newest.created) newest = { name: b.name, created };
          }
        }
      } catch (e) {
        // The container appears with the first build's log.
        if (serviceError(e).status === 404) return;
        throw e;
      }
      if (newest) return this.open(`${endpoint}${CONTAINER}/${newest.name}`);
    }
  }

  /** One ranged read of the bytes after those already read; prints the complete lines among them. */
  private async readNew(): Promise<void> {
    this.blobRequests += 1;
    const offset = this.bytesRead;
    let chunk: Buffer;
    try {
      const response = await this.blob!.download(offset);
      chunk = await streamToBuffer(response.readableStreamBody);
    } catch (e) {
      // 416: nothing was appended since the last read.
      if (serviceError(e).status === 416) return;
      throw e;
    }
    this.bytesRead += chunk.length;
    const lines = (this.partial + this.decoder.write(chunk)).split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) {
      this.text += `${line}\n`;
      if (line.trim() !== "") this.print(withoutOperationId(line));
    }
  }
}

async function streamToBuffer(stream: NodeJS.ReadableStream | undefined): Promise<Buffer> {
  const chunks: Buffer[] = [];
  if (stream) for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(chunks);
}

/**
 * The failing step as the error names it, `customizer 2/3 "install-nginx" (Shell)`; without its number for
 * lastBuildError, whose documented form is `customizer "install-nginx" (Shell): …`.
 */
export function stepLabel(s: Pick<LogSummary, "step" | "phase">, numbered = true): string | undefined {
  if (s.step) {
    const number = numbered ? ` ${s.step.number}/${s.step.count}` : "";
    return `${s.step.kind}${number} "${s.step.name}" (${s.step.type})`;
  }
  if (s.phase === "deprovisioning") return "the service's deprovisioning step, after every customizer";
  return undefined;
}

/** The outputs a failed build records (lastBuildLog, lastBuildError) and the text its error adds. */
export function failureDetails(
  report: FailureReport,
  statusMessage: string,
): { text: string; outputs: { lastBuildLog?: string; lastBuildError: string } } {
  const s = report.summary;
  const step = s ? stepLabel(s) : undefined;
  const lastBuildError = [s && stepLabel(s, false), s?.error ?? statusMessage].filter(Boolean).join(": ");
  const parts: string[] = [];
  if (step) parts.push(`Failing step: ${step}.`);
  if (s && s.lines.length > 0) {
    parts.push(`Last lines of the build log (${report.url}):`, ...s.lines.map((l) => `    ${l}`));
  } else if (report.url) {
    parts.push(`Build log: ${report.url}`);
  }
  if (report.advice) parts.push(report.advice);
  return {
    text: parts.length > 0 ? `\n${parts.join("\n")}` : "",
    outputs: { ...(report.url ? { lastBuildLog: report.url } : {}), lastBuildError },
  };
}
