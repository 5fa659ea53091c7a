import type { TokenAuthority } from "./auth";
import { FaultInjector } from "./faults";
import type { EmulatorState, TemplateRecord, TriggerRecord } from "./model";
import { isRunActive, keyOf, runStatusAt, settleProvisioning } from "./model";
import type { BuildLogWriter } from "./packer-log";
import type { JsonStore } from "./persistence";
import type { SignInMaterial } from "./sign-in";
import type { StagingStorage } from "./staging-storage";

export interface Timing {
  /** How long create/update/delete operations stay InProgress. */
  lroDurationMs: number;
  /** How long a build takes from Queued to Succeeded. */
  buildDurationMs: number;
  /** Retry-After sent with LRO responses (0 allowed: the SDK then uses its own interval). */
  retryAfterSeconds: number;
}

export interface RequestLogEntry {
  kind: "arm" | "identity";
  method: string;
  path: string;
  query: string;
  /** 0 when the connection was dropped by a fault. */
  status: number;
  time: string;
  durationMs: number;
}

const REQUEST_LOG_LIMIT = 20_000;

/** Everything a handler needs: configuration, the persistent store and the auth/fault machinery. */
export class EmulatorCore {
  url = "";
  /** The blob service holding staging accounts and build logs, and the writer of the logs (set at start). */
  storage!: StagingStorage;
  buildLogs!: BuildLogWriter;
  readonly faults = new FaultInjector();
  readonly requestLog: RequestLogEntry[] = [];

  constructor(
    readonly store: JsonStore<EmulatorState>,
    readonly auth: TokenAuthority,
    readonly signIn: SignInMaterial,
    public timing: Timing,
    readonly pageSize: number,
    readonly log: (message: string) => void,
  ) {}

  get state(): EmulatorState {
    return this.store.data;
  }

  recordRequest(entry: RequestLogEntry): void {
    if (this.requestLog.length >= REQUEST_LOG_LIMIT) this.requestLog.splice(0, REQUEST_LOG_LIMIT / 2);
    this.requestLog.push(entry);
  }

  /**
   * The template as of `now`, applying due transitions: finished deletes vanish (with their triggers) and
   * finished runs settle. These derived changes are not committed on their own: they are re-derived identically
   * from the stored timestamps after a restart.
   */
  template(key: string, now: number): TemplateRecord | undefined {
    const t = this.state.templates[key];
    if (!t) return undefined;
    if (!settleProvisioning(t.provisioning, now)) {
      this.removeTemplate(key);
      return undefined;
    }
    return t;
  }

  removeTemplate(key: string): void {
    delete this.state.templates[key];
    for (const [k, tr] of Object.entries(this.state.triggers))
      if (tr.templateKey === key) delete this.state.triggers[k];
  }

  trigger(key: string, now: number): TriggerRecord | undefined {
    const tr = this.state.triggers[key];
    if (!tr) return undefined;
    if (!settleProvisioning(tr.provisioning, now)) {
      delete this.state.triggers[key];
      return undefined;
    }
    return tr;
  }

  /** All live templates whose key starts with `prefix` (a subscription or resource group scope). */
  templatesUnder(prefix: string, now: number): TemplateRecord[] {
    const out: TemplateRecord[] = [];
    for (const key of Object.keys(this.state.templates)) {
      if (!key.startsWith(prefix)) continue;
      const t = this.template(key, now);
      if (t) out.push(t);
    }
    return out;
  }

  runStatus(t: TemplateRecord, now: number) {
    return t.run ? runStatusAt(t.run, now) : undefined;
  }

  isBuilding(t: TemplateRecord, now: number): boolean {
    return isRunActive(this.runStatus(t, now));
  }

  templateKeyFromParams(p: Record<string, string>): string {
    return keyOf(
      `/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroupName}/providers/Microsoft.VirtualMachineImages/imageTemplates/${p.imageTemplateName}`,
    );
  }
}
