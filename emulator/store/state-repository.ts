import { newOperation, prunable, type NewOperation } from "../lro";
import { emptyState, parseState, settleProvisioning } from "../model";
import type { EmulatorState, OperationRecord, Provisioning, TemplateRecord, TriggerRecord } from "../model";
import { JournaledStore } from "../persistence";
import type { Repository } from "./repository";

/** A record whose due transitions are applied; undefined (and deleted from `records`) once it is gone. */
function settled<T extends { provisioning: Provisioning }>(
  records: Record<string, T>,
  key: string,
  now: number,
): T | undefined {
  const record = records[key];
  if (!record || settleProvisioning(record.provisioning, now)) return record;
  delete records[key];
  return undefined;
}

/**
 * The repository kept as one EmulatorState document in memory and saved to `state.json` and its journal by
 * JournaledStore (group commit; each write costs the records it changed). Transitions applied on read are not committed on their own: they are re-derived identically
 * from the stored timestamps after a restart.
 */
export class StateRepository implements Repository {
  private constructor(private readonly store: JournaledStore<EmulatorState>) {}

  static async open(filePath: string): Promise<StateRepository> {
    const collections = ["templates", "triggers", "operations", "settings"] as const;
    return new StateRepository(await JournaledStore.open(filePath, emptyState, parseState, [...collections]));
  }

  private get state(): EmulatorState {
    return this.store.data;
  }

  template(key: string, now: number): TemplateRecord | undefined {
    const t = this.state.templates[key];
    if (t && !settleProvisioning(t.provisioning, now)) {
      this.deleteTemplate(key);
      return undefined;
    }
    return t;
  }

  templatesUnder(prefix: string, now: number): TemplateRecord[] {
    return this.live(Object.keys(this.state.templates), prefix, (key) => this.template(key, now));
  }

  putTemplate(key: string, t: TemplateRecord): void {
    this.state.templates[key] = t;
  }

  deleteTemplate(key: string): boolean {
    if (!this.state.templates[key]) return false;
    delete this.state.templates[key];
    for (const [k, tr] of Object.entries(this.state.triggers))
      if (tr.templateKey === key) delete this.state.triggers[k];
    return true;
  }

  trigger(key: string, now: number): TriggerRecord | undefined {
    return settled(this.state.triggers, key, now);
  }

  triggersOf(templateKey: string, now: number): TriggerRecord[] {
    return this.live(Object.keys(this.state.triggers), `${templateKey}/triggers/`, (key) => this.trigger(key, now));
  }

  triggers(now: number): TriggerRecord[] {
    return this.live(Object.keys(this.state.triggers), "", (key) => this.trigger(key, now));
  }

  putTrigger(key: string, tr: TriggerRecord): void {
    this.state.triggers[key] = tr;
  }

  deleteTrigger(key: string): boolean {
    if (!this.state.triggers[key]) return false;
    delete this.state.triggers[key];
    return true;
  }

  operation(id: string): OperationRecord | undefined {
    return this.state.operations[id];
  }

  operations(): OperationRecord[] {
    return Object.values(this.state.operations);
  }

  startOperation(o: NewOperation): OperationRecord {
    for (const old of prunable(this.operations(), o.now)) delete this.state.operations[old.id];
    const op = newOperation(o);
    this.state.operations[op.id] = op;
    return op;
  }

  cancelOperation(id: string, at: number): void {
    const op = this.state.operations[id];
    if (!op) return;
    op.completesAt = at;
    op.outcome = "Canceled";
    delete op.error;
  }

  clockOffsetMs(): number {
    return this.state.settings.clock?.offsetMs ?? 0;
  }

  advanceClock(ms: number): void {
    this.state.settings.clock = { offsetMs: this.clockOffsetMs() + ms };
  }

  clear(): void {
    Object.assign(this.state, emptyState());
  }

  commit(): Promise<void> {
    return this.store.commit();
  }

  /** Waits for in-flight writes (on stop). */
  drain(): Promise<void> {
    return this.store.drain();
  }

  private live<T>(keys: string[], prefix: string, read: (key: string) => T | undefined): T[] {
    return keys.filter((k) => k.startsWith(prefix)).flatMap((k) => read(k) ?? []);
  }
}
