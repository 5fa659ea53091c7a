import type { ImageTemplate, ImageTemplateUpdateParameters } from "@azure/arm-imagebuilder";
import type { Connection } from "../azure/client";
import { untilDone } from "../azure/wait";
import { describeFailure } from "../errors";
import type { PropertyBag } from "../property-bag";
import { label, type TemplateAddress } from "./address";
import { afterRunningBuild } from "./build";
import type { ArgKey } from "./codecs/args";
import { newMarker, withMarker } from "./ownership";
import { progressFor } from "./progress";
import type { Hidden, Stored } from "./state";

/* Writing a template in place: the PATCH (with its wait for a build that refuses it) and the adoption it serves. */

/** What adopting a template changes (plan.ts, adoptionOf): its arguments, and the program's planned against them. */
export interface Adoption {
  current: PropertyBag;
  replaces: ArgKey[];
  patch?: ImageTemplateUpdateParameters;
  patchKeys: ArgKey[];
  settings: { timeoutMinutes: number };
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
  adoption: Adoption,
  marker?: string,
) {
  if (existing.provisioningState === "Failed") {
    throw new Error(
      `Cannot adopt ${label(a)}: its provisioning failed (${existing.provisioningError?.provisioningErrorCode ?? "no code"}: ${existing.provisioningError?.message ?? "no message"}). Delete it (az image builder delete -g ${a.resourceGroupName} -n ${a.imageTemplateName}) and run pulumi up again.`,
    );
  }
  const { current, replaces, patch: planned, patchKeys, settings } = adoption;
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
export async function patch(
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

/**
 * adoptExisting on a template another owner holds (or that lost its marker): taken over as create adopts. The inputs
 * as recorded (with the new marker) and the template adopted.
 */
export async function adoptInUpdate(
  c: Connection,
  a: TemplateAddress,
  template: ImageTemplate,
  news: Stored,
  adoption: Adoption,
): Promise<{ marked: Stored; adopted: ImageTemplate }> {
  const { owner } = news.hidden;
  const marker = owner === undefined ? undefined : newMarker(owner);
  const marked = marker ? { ...news, hidden: { ...news.hidden, ownership: marker } } : news;
  return { marked, adopted: await adopt(c, a, template, news, adoption, marker) };
}
