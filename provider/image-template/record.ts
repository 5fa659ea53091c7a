import type { ImageTemplate } from "@azure/arm-imagebuilder";
import type { Connection } from "../azure/client";
import type { PropertyBag } from "../property-bag";
import { addressOf, label, type TemplateAddress, templateId } from "./address";
import { getOrUndefined, type RunOutputs, type RunRules } from "./build";
import { outputsFromImageTemplate } from "./mapping";
import { echoed, type Split, type Stored, withProvider } from "./state";

/* The last stage of a create or update: what the engine stores, or the partial state it records with a failure. */

/** Outputs the provider computes around builds (not part of the service's template). */
export interface BuildOutputs {
  /** The last successful build's results by runOutputName (artifactId for images and gallery versions, artifactUri for VHDs). */
  runOutputs?: RunOutputs;
  /** True when a build the program asked for has not completed: the next `pulumi up` runs (or awaits) it. */
  buildPending?: boolean;
  /** The blob URL of the latest build's customization.log, when it was read. */
  lastBuildLog?: string;
  /** The failing step and message of the latest build, when it failed. */
  lastBuildError?: string;
}

/** A build a create or update owes, with what is recorded around it. */
export interface OwedBuild {
  c: Connection;
  a: TemplateAddress;
  id: string;
  /** The checked inputs as they are recorded, split once. */
  inputs: Split;
  /** The computed outputs as known before the build (recorded if it fails before reading the template again). */
  computedBefore: PropertyBag;
  reason: string;
  /** Whether a run recorded on the template is the one owed (see RunRules.counts). */
  counts?: RunRules["counts"];
}

/** Stored outputs: the checked inputs echoed (what diff compares) plus the computed members. */
export function outputs(inputs: Split, template: Partial<ImageTemplate>, build: BuildOutputs = {}): PropertyBag {
  const computed = computedFrom(inputs.args, template);
  if (build.runOutputs !== undefined) computed.runOutputs = build.runOutputs;
  if (build.buildPending) computed.buildPending = true;
  if (build.lastBuildLog !== undefined) computed.lastBuildLog = build.lastBuildLog;
  return { ...echoed(inputs), ...computed };
}

/** What the service reports, with the id as the program addresses the template: the service spells "resourcegroups"
 * in lower case (ARM ids are case-insensitive), which would otherwise flip this output against the Pulumi id. */
export function computedFrom(args: Split["args"], template: Partial<ImageTemplate>): PropertyBag {
  const computed: PropertyBag = { ...outputsFromImageTemplate(template) };
  if (computed.resourceId !== undefined) computed.resourceId = templateId(addressOf(args, String(computed.resourceId)));
  return computed;
}

/**
 * The dynamic provider protocol's partial-state error: the engine records the resource with this id and these
 * properties (it adds no __provider on errors, and destroy needs it) instead of forgetting it, and fails the step.
 */
export function partialFailure(message: string, id: string, properties: PropertyBag): never {
  throw Object.assign(new Error(message), { id, properties, reasons: [message] });
}

/** The computed outputs of a template read again; while it has not settled, the partial-state error once more. */
export async function settled(
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
