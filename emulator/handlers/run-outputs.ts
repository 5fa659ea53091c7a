import type { EmulatorContext } from "../context";
import { errors } from "../errors";
import type { ArmRequest, Reply } from "../http";
import { runStatusOf, type JsonObject, type TemplateRecord } from "../model";
import { renderRunOutputs } from "../views";
import { page, requireTemplate } from "./common";

/** Run outputs exist once the last run has (partially) succeeded: one per distributor that succeeded. */
function outputsOf(t: TemplateRecord, now: number): JsonObject[] {
  const status = runStatusOf(t, now);
  const succeeded = status?.runState === "Succeeded" || status?.runState === "PartiallySucceeded";
  if (!t.run || !succeeded || !status.endTime) return [];
  return renderRunOutputs(t, t.run, status.endTime);
}

export function listRunOutputs(ctx: EmulatorContext, r: ArmRequest): Reply {
  return page(ctx, r, outputsOf(requireTemplate(ctx, r), r.now));
}

export function getRunOutput(ctx: EmulatorContext, r: ArmRequest): Reply {
  const t = requireTemplate(ctx, r);
  const wanted = r.params.runOutputName.toLowerCase();
  const output = outputsOf(t, r.now).find((o) => String(o.name).toLowerCase() === wanted);
  if (!output) {
    throw errors.resourceNotFound(`imageTemplates/${t.name}/runOutputs`, r.params.runOutputName, t.resourceGroup);
  }
  return { status: 200, body: output };
}
