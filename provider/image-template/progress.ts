import type { ImageTemplate } from "@azure/arm-imagebuilder";
import type { ResponseHeaders } from "../azure/wait";
import { type ResourceLog, resourceLog } from "../engine-log";
import type { TemplateAddress } from "./address";
import {
  clockText,
  historyOf,
  estimateError,
  expectedLeftMs,
  expectedTotalMs,
  leftText,
  type PhaseSeconds,
  PhaseTimeline,
} from "./build-estimate";
import type { LogProgress } from "./log-progress";

/* The progress of one operation on one resource: its row's status and lasting lines, and the URNs this run declared. */

/** What the row says of each sub-state. */
const SUB_STATE_TEXT: Record<string, string> = {
  Queued: "queued",
  Building: "creating the build VM",
  Customizing: "customizing",
  Optimizing: "optimizing",
  Validating: "validating",
  Distributing: "distributing",
};

/** Where the build log says the build is, where the run's sub-state leaves it open. */
function logStepText(p: LogProgress): string | undefined {
  if (p.step)
    return `${p.step.kind === "customizer" ? "step" : "validation"} ${p.step.number}/${p.step.count} "${p.step.name}" (${p.step.type})`;
  if (p.phase === "deprovisioning") return "deprovisioning the build VM";
  if (p.phase === "finishing") return "capturing the image";
  return undefined;
}

/**
 * One operation's progress on one resource: the row's status (ephemeral, replaced as the build moves: phase, step,
 * elapsed time, the estimate from this resource's previous builds) and lasting lines (transitions, the build log,
 * the outcome) filed under the resource (engine-log.ts; stdout with `[name]` where the engine cannot be reached).
 * Times are the service's: each status read's Date header against the run's startTime.
 */
export class BuildProgress {
  private readonly started = Date.now();
  private readonly out: ResourceLog;
  private readonly timeline = new PhaseTimeline();
  private serviceNow: number | undefined;
  private fromLog: LogProgress | undefined;
  private lastStatus: ImageTemplate | undefined;
  /** The status on the row now: one engine call per change, none for a repeat. */
  private shown: string | undefined;

  constructor(
    resourceName: string,
    urn?: string,
    /** This resource's previous successful builds (state), for the estimate. */
    private readonly history: PhaseSeconds[] = [],
    print?: (line: string) => void,
  ) {
    this.out = resourceLog(resourceName, urn, print);
  }

  /** A lasting line: a diagnostic of the resource. */
  line(text: string): void {
    this.out.diagnostic(`${text} (${clockText(Date.now() - this.started)})`);
  }
  /** A line of the build's own log, marked like packer build's output under the builder's. */
  logLine(text: string): void {
    this.out.diagnostic(`| ${text}`);
  }
  /** What the resource is doing now, on its row until the next status. */
  status(text: string): void {
    if (text === this.shown) return;
    this.shown = text;
    this.out.status(text);
  }
  warn(text: string): void {
    this.out.diagnostic(text, "warning");
  }

  /** The Date header of a status read: the service's clock. */
  readonly onResponse = (response: ResponseHeaders): void => {
    const date = Date.parse(response.headers.get("date") ?? "");
    if (!Number.isNaN(date)) this.serviceNow = date;
  };

  /** A status read of the template while a build runs: the row's status follows. */
  observe(template: ImageTemplate): void {
    this.lastStatus = template;
    const s = template.lastRunStatus;
    const now = this.serviceNow ?? Date.now();
    if (s?.runState === "Running") this.timeline.observe(s.runSubState, now);
    this.showStatus();
  }

  /** What the streamed build log says (build.logs "stream"), read at each status read. */
  observeLog(progress: LogProgress): void {
    this.fromLog = progress;
    this.showStatus();
  }

  private showStatus(): void {
    const s = this.lastStatus?.lastRunStatus;
    if (!s?.runState) return;
    const now = this.serviceNow ?? Date.now();
    const elapsed = s.startTime ? clockText(now - s.startTime.getTime()) : undefined;
    if (s.runState === "Canceling") return this.status(`canceling the build${elapsed ? ` (${elapsed})` : ""}`);
    if (s.runState !== "Running") return;
    const sub = s.runSubState ?? "";
    const inLog = sub === "Customizing" || sub === "Validating";
    const where = [
      SUB_STATE_TEXT[sub] ?? (sub.toLowerCase() || "started"),
      inLog && this.fromLog ? logStepText(this.fromLog) : undefined,
    ];
    const sinceMs = this.timeline.sinceMs(sub, s.startTime?.getTime(), now);
    const left = sinceMs === undefined ? undefined : expectedLeftMs(this.history, sub, sinceMs);
    const times = [elapsed, left === undefined ? undefined : leftText(left)].filter(Boolean).join(", ");
    this.status(`building: ${where.filter(Boolean).join(", ")}${times ? ` (${times})` : ""}`);
  }

  /** A successful build's phase durations (for the history), with a line on how far off the estimate was. */
  succeeded(template: ImageTemplate): PhaseSeconds | undefined {
    const s = template.lastRunStatus;
    if (!s?.startTime || !s.endTime) return undefined;
    const [start, end] = [s.startTime.getTime(), s.endTime.getTime()];
    const phases = this.timeline.durations(start, end);
    const expected = expectedTotalMs(this.history);
    const against =
      expected === undefined
        ? "no estimate: no earlier successful build of this resource"
        : estimateError(expected, end - start);
    this.out.diagnostic(`image built in ${clockText(end - start)} (${against})`);
    return Object.keys(phases).length > 0 ? phases : undefined;
  }

  /** Every line so far has reached the engine. */
  flush(): Promise<void> {
    return this.out.flush();
  }
}

/**
 * URNs this run's program declared: check sees every resource the program declares, in this provider process, before
 * the engine creates, updates or replaces it. A URN read from state (delete, refresh) can be stale: a stack renamed,
 * an alias taken, a resource removed from the program; lines sent there would open a phantom row. So a URN counts
 * only once this run's program declared it; otherwise (destroy, refresh, a removed resource) lines go to stdout.
 */
const declaredUrns = new Set<string>();

/** Check saw the program declare this URN. */
export const declareUrn = (urn: string): void => void declaredUrns.add(urn);

/** The progress of one operation on the resource whose provider's keys are `hidden`. */
export function progressFor(
  hidden: { urn?: string; pulumiName?: string; buildHistory?: unknown },
  a: TemplateAddress,
): BuildProgress {
  const { urn, pulumiName, buildHistory } = hidden;
  const declared = urn !== undefined && declaredUrns.has(urn) ? urn : undefined;
  return new BuildProgress(pulumiName ?? a.imageTemplateName, declared, historyOf(buildHistory));
}
