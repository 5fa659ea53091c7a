import type { ImageTemplate, ImageTemplateUpdateParameters } from "@azure/arm-imagebuilder";
import { connect, type Connection } from "../azure/client";
import { untilDone } from "../azure/wait";
import { describeFailure, isNotFound } from "../errors";
import type { PropertyBag } from "../property-bag";
import { addressOf, label, named, type TemplateAddress } from "./address";
import { afterRunningBuild, progressFor, readTemplate, type RunOutputs, type RunRules } from "./build";
import type { ArgKey } from "./codecs/args";
import { argsFromImageTemplate } from "./mapping";
import { markerOf, newMarker, refusal, standingOf, withMarker } from "./ownership";
import type { OwedBuild } from "./owed-build";
import { type Plan, planOf } from "./plan";
import { computedFrom, outputs, partialFailure } from "./record";
import { type Hidden, type Stored, stateOf, withProvider } from "./state";

/*
 * The stage of an update that applies its change to the template: read it, refuse a template that is no longer this
 * resource's (or adopt it), PATCH it, waiting for a build that refuses the PATCH. What it leaves is the outputs to
 * record, or the build the update still owes.
 */

export async function getOrUndefined(c: Connection, a: TemplateAddress): Promise<ImageTemplate | undefined> {
  try {
    return await c.client.virtualMachineImageTemplates.get(a.resourceGroupName, a.imageTemplateName);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw describeFailure(`Reading ${label(a)}`, e);
  }
}

/**
 * Takes over an existing template: its immutable arguments must match the program (else the error lists each
 * difference); the in-place ones are reconciled with one PATCH.
 */
export async function adopt(
  c: Connection,
  a: TemplateAddress,
  existing: ImageTemplate,
  inputs: Stored,
  marker?: string,
) {
  if (existing.provisioningState === "Failed") {
    throw new Error(
      `Cannot adopt ${label(a)}: its provisioning failed (${existing.provisioningError?.provisioningErrorCode ?? "no code"}: ${existing.provisioningError?.message ?? "no message"}). Delete it (az image builder delete -g ${a.resourceGroupName} -n ${a.imageTemplateName}) and run pulumi up again.`,
    );
  }
  const current: PropertyBag = { ...argsFromImageTemplate(existing), subscriptionId: inputs.args.subscriptionId };
  const { replaces, patch: planned, patchKeys, settings } = planOf(stateOf(current), inputs);
  if (replaces.length > 0) {
    const show = (v: unknown) => JSON.stringify(v) ?? "(unset)";
    const declared = inputs.args as PropertyBag;
    const lines = replaces.map((k) => `  ${k}: existing ${show(current[k])}, declared ${show(declared[k])}`);
    throw new Error(
      `Cannot adopt ${label(a)}: these arguments cannot change in place and differ from the existing template:\n${lines.join("\n")}\nMake the program match the existing template, or delete the template (or choose another imageTemplateName) to let Pulumi create it.`,
    );
  }
  const timeout = settings.timeoutMinutes;
  // The marker is rewritten (a new nonce), so a resource that held the template before no longer deletes it.
  if (marker) {
    const tags = withMarker(planned?.tags ?? (inputs.args.tag as Record<string, string> | undefined), marker);
    const keys: ArgKey[] = patchKeys.includes("tag") ? patchKeys : [...patchKeys, "tag"];
    return patch(c, a, { ...planned, tags }, keys, timeout, inputs.hidden);
  }
  return planned ? patch(c, a, planned, patchKeys, timeout, inputs.hidden) : existing;
}

/**
 * PATCHes the template, waiting at most `timeoutMinutes` (the build timeout of the arguments being applied) when a
 * running build refuses it; progress goes to the resource of `hidden`. A PATCH replaces all tags, so a `marker` is
 * kept among them.
 */
async function patch(
  c: Connection,
  a: TemplateAddress,
  patchBody: ImageTemplateUpdateParameters,
  keys: ArgKey[],
  timeoutMinutes: number,
  hidden: Hidden,
  marker?: unknown,
) {
  const body =
    patchBody.tags && typeof marker === "string"
      ? { ...patchBody, tags: withMarker(patchBody.tags, marker) }
      : patchBody;
  const send = () =>
    untilDone(c, (options) =>
      c.client.virtualMachineImageTemplates.update(a.resourceGroupName, a.imageTemplateName, body, options),
    );
  const progress = progressFor(hidden, a);
  progress.status(`updating the template (${keys.join(", ")})`);
  try {
    return await afterRunningBuild(c, a, timeoutMinutes, progress, `the change of ${keys.join(", ")}`, send);
  } catch (e) {
    throw describeFailure(`Updating ${label(a)} (${keys.join(", ")})`, e);
  } finally {
    await progress.flush();
  }
}

/** What the change leaves: the outputs to record, or the build the update still owes. */
export type Applied = { outs: PropertyBag } | { owed: OwedBuild };

/** Applies the planned change (`plan` carried out: never a replacement) to the template `id`. */
export async function applyChange(id: string, p: Plan): Promise<Applied> {
  const old = p.before;
  const a = addressOf(old.args, id);
  if (p.replaces.length > 0) {
    throw new Error(`Internal error: update called for a change that needs replacement (${p.replaces.join(", ")})`);
  }
  const c = connect(a.subscriptionId);
  // The marker, the last owed build and the build history stay with the resource across updates (a replacement's
  // create starts without them).
  const { ownership, builtRunStart, buildHistory } = old.hidden;
  const carried = Object.entries({ ownership, builtRunStart, buildHistory }).filter(([, v]) => v !== undefined);
  let news: Stored = { ...p.after, hidden: { ...p.after.hidden, ...Object.fromEntries(carried) } };
  if (!p.patch && !p.build) {
    // Build settings (or nothing the service holds) changed: record them, keep the computed outputs, unless a create
    // recorded them before the template settled (its partial state makes the engine call update): read it again.
    const computed =
      old.computed.provisioningState === "Succeeded" ? old.computed : await settled(c, a, id, old.computed, news);
    return { outs: { ...outputs(news, {}), ...computed } };
  }
  // Something will be sent: only to a template that is still this resource's (its marker, compared first).
  const template = await readTemplate(c, a, progressFor(news.hidden, a));
  if (!template) {
    throw new Error(
      `Updating ${label(a)} failed: it no longer exists. Run pulumi refresh, then pulumi up creates it again.`,
    );
  }
  const what = p.patch ? `the change of ${p.patchKeys.join(", ")}` : "the build's run";
  const standing = standingOf(markerOf(template), ownership);
  if (standing === "foreign" || standing === "unmarked") {
    if (news.args.adoptExisting !== true) throw new Error(refusal(standing, named(a), ownership, what));
    return adoptInUpdate(c, a, id, template, news, p.build);
  }
  // A replacement of this resource (or a killed run's create of it) wrote the marker last: keep it, record it.
  const marker = markerOf(template);
  if (standing === "sibling" && marker !== undefined) news = { ...news, hidden: { ...news.hidden, ownership: marker } };
  const counts = p.build ? runAfter(old, !p.patch || changeApplied(template, news)) : undefined;
  if (!p.patch) {
    return { owed: { c, a, id, inputs: news, computedBefore: old.computed, reason: p.build!, counts } };
  }
  const timeout = p.settings.timeoutMinutes;
  const patched = await patch(c, a, p.patch, p.patchKeys, timeout, news.hidden, news.hidden.ownership);
  if (!p.build)
    return { outs: outputs(news, patched, { runOutputs: old.computed.runOutputs as RunOutputs | undefined }) };
  const computedBefore = computedFrom(news.args, patched);
  return { owed: { c, a, id, inputs: news, computedBefore, reason: p.build, counts } };
}

/** Whether the template already holds the in-place arguments being applied (an interrupted update sent them). */
function changeApplied(template: ImageTemplate, news: Stored): boolean {
  const live: PropertyBag = { ...argsFromImageTemplate(template), subscriptionId: news.args.subscriptionId };
  return planOf(stateOf(live), news).patch === undefined;
}

/**
 * For a build an update owes: a run that started after the one the state recorded counts (an interrupted update of
 * this resource started it, or the service did), once the change it builds is on the template.
 */
function runAfter(old: Stored, applied: boolean): RunRules["counts"] {
  const since = old.hidden.builtRunStart ?? old.computed.lastRunStatusStartTime;
  const recorded = typeof since === "string" ? Date.parse(since) : -Infinity;
  return (t) => applied && (t.lastRunStatus?.startTime?.getTime() ?? -Infinity) > recorded;
}

/** adoptExisting on a template another owner holds (or that lost its marker): taken over as create adopts, then built. */
async function adoptInUpdate(
  c: Connection,
  a: TemplateAddress,
  id: string,
  template: ImageTemplate,
  news: Stored,
  reason: string | undefined,
): Promise<Applied> {
  const { owner } = news.hidden;
  const marker = owner === undefined ? undefined : newMarker(owner);
  const marked = marker ? { ...news, hidden: { ...news.hidden, ownership: marker } } : news;
  const adopted = await adopt(c, a, template, news, marker);
  if (!reason) return { outs: outputs(marked, adopted) };
  return { owed: { c, a, id, inputs: marked, computedBefore: computedFrom(marked.args, adopted), reason } };
}

/** The computed outputs of a template read again; while it has not settled, the partial-state error once more. */
async function settled(
  c: Connection,
  a: TemplateAddress,
  id: string,
  computedBefore: PropertyBag,
  news: Stored,
): Promise<PropertyBag> {
  const template = await getOrUndefined(c, a);
  const computed = { ...computedBefore, ...computedFrom(news.args, template ?? {}) };
  if (template?.provisioningState === "Succeeded") return computed;
  const state = template ? `is in state ${template.provisioningState}` : "no longer exists (run pulumi refresh)";
  return partialFailure(
    `Reading ${label(a)} again: it ${state}; the next pulumi up reads it again.`,
    id,
    withProvider({ ...outputs(news, {}), ...computed }, news),
  );
}
