import type { EmulatorCore } from "../core";
import { errors } from "../errors";
import type { ArmRequest, Reply } from "../http";
import { lroHeaders, startOperation } from "../lro";
import { keyOf, type JsonObject, type TemplateRecord } from "../model";
import { validateBody } from "../schema";
import { renderTrigger } from "../views";
import { checkName, page, parseJson, requireTemplate, systemDataFor } from "./common";

function triggerKey(t: TemplateRecord, name: string): string {
  return keyOf(`${t.id}/triggers/${name}`);
}

/** SourceImage triggers need a template whose source floats ("latest"), per the service's trigger docs. */
function checkTriggerable(t: TemplateRecord): void {
  if (t.provisioning.state !== "Succeeded") {
    throw errors.triggerNotAllowed(
      `the image template must be in provisioning state 'Succeeded', not '${t.provisioning.state}'.`,
    );
  }
  const source = t.properties.source as JsonObject;
  const floating =
    (source.type === "PlatformImage" && source.version === "latest") ||
    (source.type === "SharedImageVersion" && /\/versions\/latest$/i.test(String(source.imageVersionId)));
  if (!floating) {
    throw errors.triggerNotAllowed(
      "a SourceImage trigger requires a PlatformImage source with version 'latest' or a SharedImageVersion source ending in '/versions/latest'.",
    );
  }
}

export function getTrigger(emu: EmulatorCore, r: ArmRequest): Reply {
  const t = requireTemplate(emu, r);
  const tr = emu.trigger(triggerKey(t, r.params.triggerName), r.now);
  if (!tr) throw errors.resourceNotFound(`imageTemplates/${t.name}/triggers`, r.params.triggerName, t.resourceGroup);
  return { status: 200, body: renderTrigger(tr) };
}

export function listTriggers(emu: EmulatorCore, r: ArmRequest): Reply {
  const t = requireTemplate(emu, r);
  const prefix = keyOf(`${t.id}/triggers/`);
  const items = Object.keys(emu.state.triggers)
    .filter((k) => k.startsWith(prefix))
    .map((k) => emu.trigger(k, r.now))
    .filter((tr) => tr !== undefined)
    .map(renderTrigger);
  return page(emu, r, items);
}

export async function putTrigger(emu: EmulatorCore, r: ArmRequest): Promise<Reply> {
  checkName("triggerName", r.params.triggerName);
  const body = parseJson(r);
  validateBody("Trigger", body);
  const t = requireTemplate(emu, r);
  const key = triggerKey(t, r.params.triggerName);
  const existing = emu.trigger(key, r.now);
  const others = Object.keys(emu.state.triggers).filter((k) => k.startsWith(keyOf(`${t.id}/triggers/`)) && k !== key);
  if (others.length > 0) throw errors.triggerNotAllowed("an image template can have only one trigger.");
  checkTriggerable(t);
  const props = (body as JsonObject).properties as JsonObject;
  const now = r.now;
  emu.state.triggers[key] = {
    id: `${t.id}/triggers/${r.params.triggerName}`,
    name: r.params.triggerName,
    templateKey: keyOf(t.id),
    properties: { kind: props.kind },
    systemData: systemDataFor(r, existing?.systemData),
    createdAt: existing?.createdAt ?? new Date(now).toISOString(),
    provisioning: {
      state: existing ? "Updating" : "Creating",
      until: now + emu.timing.lroDurationMs,
      then: "Succeeded",
    },
  };
  const op = startOperation(emu.state, {
    subscriptionId: t.subscriptionId,
    location: t.location,
    resourceKey: key,
    now,
    durationMs: emu.timing.lroDurationMs,
  });
  await emu.store.commit();
  return {
    status: existing ? 200 : 201,
    body: renderTrigger(emu.state.triggers[key]),
    headers: lroHeaders(emu.url, op, emu.timing.retryAfterSeconds, false),
  };
}

export async function deleteTrigger(emu: EmulatorCore, r: ArmRequest): Promise<Reply> {
  const t = emu.template(emu.templateKeyFromParams(r.params), r.now);
  if (!t) return { status: 204 };
  const key = triggerKey(t, r.params.triggerName);
  const tr = emu.trigger(key, r.now);
  if (!tr) return { status: 204 };
  tr.provisioning = { state: "Deleting", until: r.now + emu.timing.lroDurationMs, then: "Gone" };
  const op = startOperation(emu.state, {
    subscriptionId: t.subscriptionId,
    location: t.location,
    resourceKey: key,
    now: r.now,
    durationMs: emu.timing.lroDurationMs,
  });
  await emu.store.commit();
  return { status: 202, headers: lroHeaders(emu.url, op, emu.timing.retryAfterSeconds, true) };
}
