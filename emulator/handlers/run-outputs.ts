import type { EmulatorCore } from "../core";
import { errors } from "../errors";
import type { ArmRequest, Reply } from "../http";
import type { JsonObject, TemplateRecord } from "../model";
import { renderRunOutputs } from "../views";
import { page, requireTemplate } from "./common";

/** Run outputs exist once the last run has succeeded: one per distributor. */
function outputsOf(emu: EmulatorCore, t: TemplateRecord, now: number): JsonObject[] {
  const status = emu.runStatus(t, now);
  if (!t.run || status?.runState !== "Succeeded" || !status.endTime) return [];
  return renderRunOutputs(t, t.run, status.endTime);
}

export function listRunOutputs(emu: EmulatorCore, r: ArmRequest): Reply {
  return page(emu, r, outputsOf(emu, requireTemplate(emu, r), r.now));
}

export function getRunOutput(emu: EmulatorCore, r: ArmRequest): Reply {
  const t = requireTemplate(emu, r);
  const wanted = r.params.runOutputName.toLowerCase();
  const output = outputsOf(emu, t, r.now).find((o) => String(o.name).toLowerCase() === wanted);
  if (!output) {
    throw errors.resourceNotFound(`imageTemplates/${t.name}/runOutputs`, r.params.runOutputName, t.resourceGroup);
  }
  return { status: 200, body: output };
}
