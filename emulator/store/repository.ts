import type { NewOperation } from "../lro";
import type { OperationRecord, TemplateRecord, TriggerRecord } from "../model";

/**
 * What handlers read and write, and nothing about how it is kept (Azurite's split between its handlers and its
 * metadata store). Keys are lower-cased resource ids (`keyOf`). Reads take the caller's clock reading and apply
 * the transitions due by then: a finished delete makes a resource (and a template's triggers) vanish.
 * Records read are the stored ones: a handler changes a resource by changing its record (like putting it back).
 * Writes apply at once; `commit` makes every write so far durable before a handler acknowledges it.
 */
export interface Repository {
  template(key: string, now: number): TemplateRecord | undefined;
  /** Live templates whose key starts with `prefix` (a subscription or resource group scope, "" for all). */
  templatesUnder(prefix: string, now: number): TemplateRecord[];
  putTemplate(key: string, t: TemplateRecord): void;
  /** Removes the template and its triggers; false when there was none. */
  deleteTemplate(key: string): boolean;

  trigger(key: string, now: number): TriggerRecord | undefined;
  /** The live triggers of the template keyed `templateKey`. */
  triggersOf(templateKey: string, now: number): TriggerRecord[];
  /** Every live trigger (the admin state view). */
  triggers(now: number): TriggerRecord[];
  putTrigger(key: string, tr: TriggerRecord): void;
  /** False when there was none. */
  deleteTrigger(key: string): boolean;

  operation(id: string): OperationRecord | undefined;
  operations(): OperationRecord[];
  /** Records a new long-running operation on a template or its trigger (forgetting long-finished ones). */
  startOperation(o: NewOperation): OperationRecord;
  /** The operation (if still held) ends `Canceled` at `at`, with no error. */
  cancelOperation(id: string, at: number): void;

  /** How far the emulator's clock runs ahead of the machine's. */
  clockOffsetMs(): number;
  /** Moves the emulator's clock forward: what was due by then (operations, builds) is done. */
  advanceClock(ms: number): void;

  /** Forgets every resource and operation, and the clock's advance. */
  clear(): void;
  /** Resolves once every write so far is durable. */
  commit(): Promise<void>;
}
