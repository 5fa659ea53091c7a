import type { ImageTemplate, ImageTemplateUpdateParameters } from "@azure/arm-imagebuilder";
import { buildOnUpdate, type ResolvedBuild, resolveBuild } from "./build-settings";
import type { ArgKey } from "./codecs/args";
import { diffOf, type InputDiff, patchKeys } from "./diff";
import type { PropertyBag } from "../property-bag";
import { argsFromImageTemplate, toUpdateParameters } from "./mapping";
import { type Stored, stateOf } from "./state";

/** What an update of `olds` (stored outputs) to `news` (checked inputs) does; `diff` shows it, `update` carries it out. */
export interface Plan extends InputDiff {
  /** The in-place changes the service applies (PATCH); empty when only provider settings changed. */
  patchKeys: ArgKey[];
  /** The PATCH body, or undefined when nothing in the template changes in place. */
  patch?: ImageTemplateUpdateParameters;
  /** Why the update runs a build (an owed build makes a change even with equal arguments), or undefined. */
  build?: string;
  /** The build settings of the arguments being applied (how long a PATCH refused by a running build waits). */
  settings: ResolvedBuild;
  /** The stored outputs and the checked inputs, split once: what the update's later stages read. */
  before: Stored;
  after: Stored;
}

/**
 * Pulumi `diff`, pure. `olds` are the stored OUTPUTS (inputs echoed plus computed members); only argument keys are
 * compared, so computed outputs and service-filled defaults never show as changes.
 */
export function diffInputs(olds: PropertyBag, news: PropertyBag): InputDiff {
  return diffOf(stateOf(olds), stateOf(news));
}

/** Pure: the one place that decides replace vs update, the PATCH body and the build an update owes. */
export function plan(olds: PropertyBag, news: PropertyBag): Plan {
  return planOf(stateOf(olds), stateOf(news));
}

/** `plan` of two bags already split. */
export function planOf(before: Stored, after: Stored): Plan {
  const d = diffOf(before, after);
  const keys = patchKeys(d.updates);
  const olds = before.buildPending ? { ...before.args, buildPending: true } : before.args;
  const build = d.replaces.length === 0 ? buildOnUpdate(olds, after.args, keys.length > 0) : undefined;
  const settings = resolveBuild(after.args);
  const patch = keys.length > 0 ? toUpdateParameters(before.args, after.args, new Set(keys)) : undefined;
  return { ...d, changes: d.changes || build !== undefined, patchKeys: keys, patch, build, settings, before, after };
}

/** What adopting `existing` does: the program's arguments (`inputs`) planned against the template's own. */
export function adoptionOf(existing: ImageTemplate, inputs: Stored): Plan & { current: PropertyBag } {
  const current: PropertyBag = { ...argsFromImageTemplate(existing), subscriptionId: inputs.args.subscriptionId };
  return { ...planOf(stateOf(current), inputs), current };
}

/** Whether the template already holds the in-place arguments being applied (an interrupted update sent them). */
export function changeApplied(template: ImageTemplate, news: Stored): boolean {
  return adoptionOf(template, news).patch === undefined;
}

/**
 * For a build an update owes: whether a run recorded on the template counts as that build. One that started after the
 * run the state recorded does (an interrupted update of this resource started it, or the service did), once the
 * change it builds is on the template (`applied`).
 */
export function runAfter(old: Stored, applied: boolean): (template: ImageTemplate) => boolean {
  const since = old.hidden.builtRunStart ?? old.computed.lastRunStatusStartTime;
  const recorded = typeof since === "string" ? Date.parse(since) : -Infinity;
  return (t) => applied && (t.lastRunStatus?.startTime?.getTime() ?? -Infinity) > recorded;
}
