import { connect } from "../azure/client";
import { label, named, type TemplateAddress } from "./address";
import { readTemplate, type RunOutputs } from "./build";
import { markerOf, refusal, standingOf } from "./ownership";
import type { PropertyBag } from "../property-bag";
import { adoptInUpdate, patch } from "./patch";
import { adoptionOf, changeApplied, type Plan, runAfter } from "./plan";
import { computedFrom, type OwedBuild, outputs, settled } from "./record";
import { progressFor } from "./progress";
import type { Stored } from "./state";

/*
 * The stage of an update that applies its change to the template: read it, refuse a template that is no longer this
 * resource's (or adopt it), PATCH it, waiting for a build that refuses the PATCH. What it leaves is the outputs to
 * record, or the build the update still owes.
 */

/** What the change leaves: the outputs to record, or the build the update still owes. */
export type Applied = { outs: PropertyBag } | { owed: OwedBuild };

/** Applies the planned change (`plan` carried out: never a replacement) to the template `id`. */
export async function applyChange(a: TemplateAddress, id: string, p: Plan): Promise<Applied> {
  const old = p.before;
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
  // Recorded with no marker (imported by pulumi import, or recorded before markers existed): its first write marks it
  // as this resource's, as adoptExisting does.
  const unrecorded = ownership === undefined && news.hidden.owner !== undefined;
  if (standing === "foreign" || standing === "unmarked" || unrecorded) {
    if (!unrecorded && news.args.adoptExisting !== true) throw new Error(refusal(standing, named(a), ownership, what));
    const { marked, adopted } = await adoptInUpdate(c, a, template, news, adoptionOf(template, news));
    if (!p.build) return { outs: outputs(marked, adopted) };
    return { owed: { c, a, id, inputs: marked, computedBefore: computedFrom(marked.args, adopted), reason: p.build } };
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
