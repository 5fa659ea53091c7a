/*
 * Where a build is, read from its customization.log as the service writes it: no per-step header exists there, so the
 * steps are found from Packer's own lines, matched in order against the template's `customize` then `validate`
 * lists. Pure: the same text and steps always give the same answer, for a finished log or the part of it written so
 * far (so the same function names a failed build's step and a running build's current step).
 *
 * The log's two shapes, each line after the run's `[operationId] `:
 * - older (2019–mid 2023): `PACKER OUT <ui line>` (Packer's stdout), `PACKER ERR <ui error line>` and
 *   `PACKER ERR yyyy/mm/dd hh:mm:ss <Packer log line>` (its stderr and its log);
 * - recent: `PACKER yyyy/mm/dd hh:mm:ss <Packer log line>` (UI lines in it as `ui: …` / `ui error: …`) and
 *   `PACKER <ui line>` without a timestamp; the service's own closing line is `PACKER Done exporting Packer logs…`.
 * Per provisioner Packer logs `[INFO] (telemetry) Starting provisioner <type>` and `(telemetry) ending <type>`, and
 * says what it runs (`Provisioning with shell script: …`, `Uploading a => b`, `Restarting Machine`, …). The service
 * adds a hidden last provisioner (the deprovisioning script), and the distribution runs after the log is exported,
 * so the log never shows a distribute target.
 */

export interface PlannedStep {
  type: string;
  name?: string;
}

/** A step of the template: the N-th (1-based) of M customizers, or of M in-VM validations. */
export interface LogStep {
  kind: "customizer" | "validation";
  number: number;
  count: number;
  name: string;
  type: string;
}

export type LogPhase =
  /** Packer is deploying and connecting to the build VM: no provisioner has started. */
  | "starting"
  | "customizing"
  | "validating"
  /** The service's hidden last provisioner (sysprep / waagent deprovision). */
  | "deprovisioning"
  /** Provisioning is over: Packer captures the disk and removes the build VM. */
  | "finishing"
  /** Packer has exited; the log is complete. */
  | "done";

export interface LogProgress {
  phase: LogPhase;
  /** The step running now (or, in a failed build's log, the one that failed). */
  step?: LogStep;
  /** Index (in the lines given) of the line where that step started. */
  stepStartLine?: number;
  /** Packer reported that a provisioner failed. */
  provisioningFailed: boolean;
}

export interface LogLine {
  /** The line without its `[operationId] ` prefix. */
  text: string;
  /** `ui`: a line of Packer's UI (its stdout, or a UI line echoed into its log); `log`: Packer's debug log. */
  kind: "ui" | "log" | "other";
  /** A UI line's message (`==> azure-arm: …`, `    azure-arm: …`, `--> …`); a log line's text after its timestamp. */
  message: string;
  /** Packer's log lines carry a timestamp; UI lines printed straight to stdout do not. */
  timestamped: boolean;
  error: boolean;
}

const OPERATION_ID = /^\[[^\]]*\] /;
const STAMP = String.raw`\d{4}/\d\d/\d\d \d\d:\d\d:\d\d`;
const OLDER = new RegExp(String.raw`^PACKER (OUT|ERR)(?: (${STAMP}))?(?: (.*))?$`);
const RECENT = new RegExp(String.raw`^PACKER(?: (${STAMP}))?(?: (.*))?$`);
const UI_IN_LOG = /^ui( error)?: ?(.*)$/;

export const withoutOperationId = (line: string): string => line.replace(OPERATION_ID, "");

/** One line of customization.log, in either shape. */
export function parseLogLine(raw: string): LogLine {
  const text = withoutOperationId(raw);
  const older = OLDER.exec(text);
  const recent = older ? null : RECENT.exec(text);
  if (!older && !recent) return { text, kind: "other", message: text, timestamped: false, error: false };
  const stamp = older ? older[2] : recent![1];
  const rest = (older ? older[3] : recent![2]) ?? "";
  if (stamp) {
    const ui = UI_IN_LOG.exec(rest);
    if (ui) return { text, kind: "ui", message: ui[2], timestamped: true, error: ui[1] !== undefined };
    return { text, kind: "log", message: rest, timestamped: true, error: false };
  }
  return { text, kind: "ui", message: rest, timestamped: false, error: older?.[1] === "ERR" };
}

/** Packer's provisioner type for each step type of the service. */
const PACKER_TYPE: Record<string, string> = {
  Shell: "shell",
  PowerShell: "powershell",
  File: "file",
  WindowsRestart: "windows-restart",
  WindowsUpdate: "windows-update",
};

const TELEMETRY_START = /\[INFO\] \(telemetry\) Starting provisioner (\S+)/;
const TELEMETRY_END = /\[INFO\] \(telemetry\) ending (\S+)/;
/** The UI line each provisioner prints first, by Packer type. */
const UI_START: [string, RegExp][] = [
  ["shell", /^==> [\w.-]+: Provisioning with shell script: /],
  ["powershell", /^==> [\w.-]+: Provisioning with powershell script: /i],
  ["file", /^==> [\w.-]+: Uploading .+ => /],
  ["windows-restart", /^==> [\w.-]+: Restarting Machine$/],
  ["windows-update", /^==> [\w.-]+: Uploading the Windows update elevated script/],
];
const PROVISIONING_FAILED = /^==> [\w.-]+: Provisioning step had errors/;
const DONE =
  /^(==> Builds finished|==> Some builds didn't complete|Done exporting Packer logs|\[INFO\] \(telemetry\) Finalizing)/;

interface Marker {
  line: number;
  type: string;
}

/** The provisioner starts: Packer's telemetry lines, else (a log without them) the UI lines of one stream. */
function provisionerStarts(lines: LogLine[]): Marker[] {
  const telemetry = lines.flatMap((l, line) => {
    const m = l.kind === "log" ? TELEMETRY_START.exec(l.message) : null;
    return m ? [{ line, type: m[1] }] : [];
  });
  if (telemetry.length > 0) return telemetry;
  // Each UI line may be there twice (stdout and Packer's log): count one stream, the one that shows more.
  const fromStream = (timestamped: boolean) =>
    lines.flatMap((l, line) => {
      if (l.kind !== "ui" || l.timestamped !== timestamped) return [];
      const found = UI_START.find(([, re]) => re.test(l.message));
      return found ? [{ line, type: found[0] }] : [];
    });
  const [plain, stamped] = [fromStream(false), fromStream(true)];
  return stamped.length > plain.length ? stamped : plain;
}

/**
 * Where the build is, from its log (whole or partial) and the template's steps. Provisioner starts are matched to
 * the steps in order, by type; a start that does not fit the next step is one the service added itself. Once Packer
 * says a provisioner failed, later starts (its cleanup) are not steps of the template.
 */
export function logProgress(text: string, customize: PlannedStep[], validate: PlannedStep[] = []): LogProgress {
  const lines = text.split("\n").map(parseLogLine);
  const failedAt = lines.findIndex((l) => l.kind === "ui" && PROVISIONING_FAILED.test(l.message));
  const starts = provisionerStarts(lines).filter((m) => failedAt < 0 || m.line < failedAt);
  const planned = [
    ...customize.map((s, i) => ({ s, kind: "customizer" as const, number: i + 1, count: customize.length })),
    ...validate.map((s, i) => ({ s, kind: "validation" as const, number: i + 1, count: validate.length })),
  ];
  let next = 0;
  let current: (Marker & { step?: LogStep }) | undefined;
  for (const m of starts) {
    const p = planned[next];
    if (p && PACKER_TYPE[p.s.type] === m.type) {
      next += 1;
      const step = { kind: p.kind, number: p.number, count: p.count, name: p.s.name ?? "", type: p.s.type };
      current = { step, line: m.line, type: m.type };
    } else {
      current = { line: m.line, type: m.type };
    }
  }
  const provisioningFailed = failedAt >= 0;
  const done = lines.some((l) => DONE.test(l.message));
  const ended = (m: Marker) =>
    lines.slice(m.line + 1).some((l) => l.kind === "log" && TELEMETRY_END.exec(l.message)?.[1] === m.type);
  const phase = ((): LogPhase => {
    // A log where a step failed stays in that step's phase: the failure report names it.
    if (done && !provisioningFailed) return "done";
    if (!current) return "starting";
    if (current.step) return current.step.kind === "customizer" ? "customizing" : "validating";
    // A start of the service's own: its hidden last provisioner once every step has run.
    if (next < planned.length) return "customizing";
    return ended(current) && !provisioningFailed ? "finishing" : "deprovisioning";
  })();
  return {
    phase,
    ...(current?.step ? { step: current.step, stepStartLine: current.line } : {}),
    provisioningFailed,
  };
}
