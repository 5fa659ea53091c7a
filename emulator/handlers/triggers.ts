import type { EmulatorContext } from "../context";
import { errors } from "../errors";
import type { ArmRequest, Reply } from "../http";
import { lroHeaders } from "../lro";
import { keyOf, type JsonObject, type TemplateRecord, type TriggerRecord } from "../model";
import { validateBody } from "../schema/validate";
import { renderTrigger } from "../views";
import { checkName, page, parseJson, requireTemplate, systemDataFor, templateKeyOf } from "./common";

const triggerId = (t: TemplateRecord, name: string) => `${t.id}/triggers/${name}`;

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

export function getTrigger(ctx: EmulatorContext, r: ArmRequest): Reply {
  const t = requireTemplate(ctx, r);
  const tr = ctx.repository.trigger(keyOf(triggerId(t, r.params.triggerName)), r.now);
  if (!tr) throw errors.resourceNotFound(`imageTemplates/${t.name}/triggers`, r.params.triggerName, t.resourceGroup);
  return { status: 200, body: renderTrigger(tr) };
}

export function listTriggers(ctx: EmulatorContext, r: ArmRequest): Reply {
  const t = requireTemplate(ctx, r);
  return page(
    ctx,
    r,
    ctx.repository.triggersOf(keyOf(t.id), r.now).map((tr) => renderTrigger(tr)),
  );
}

export async function putTrigger(ctx: EmulatorContext, r: ArmRequest): Promise<Reply> {
  checkName("triggerName", r.params.triggerName);
  const body = parseJson(r);
  validateBody("Trigger", body);
  const t = requireTemplate(ctx, r);
  const id = triggerId(t, r.params.triggerName);
  const key = keyOf(id);
  const existing = ctx.repository.trigger(key, r.now);
  const others = ctx.repository.triggersOf(keyOf(t.id), r.now).filter((tr) => keyOf(tr.id) !== key);
  if (others.length > 0) throw errors.triggerNotAllowed("an image template can have only one trigger.");
  checkTriggerable(t);
  const props = (body as JsonObject).properties as JsonObject;
  const now = r.now;
  const trigger: TriggerRecord = {
    id,
    name: r.params.triggerName,
    templateKey: keyOf(t.id),
    properties: { kind: props.kind },
    systemData: systemDataFor(r, existing?.systemData),
    createdAt: existing?.createdAt ?? new Date(now).toISOString(),
    provisioning: {
      state: existing ? "Updating" : "Creating",
      until: now + ctx.timing.lroDurationMs,
      then: "Succeeded",
    },
  };
  ctx.repository.putTrigger(key, trigger);
  const op = ctx.repository.startOperation({
    template: t,
    resourceId: id,
    now,
    durationMs: ctx.timing.lroDurationMs,
  });
  await ctx.repository.commit();
  return {
    status: existing ? 200 : 201,
    body: renderTrigger(trigger, false),
    headers: lroHeaders(ctx.url, op, ctx.timing.retryAfterSeconds, false),
  };
}

export async function deleteTrigger(ctx: EmulatorContext, r: ArmRequest): Promise<Reply> {
  const t = ctx.repository.template(templateKeyOf(r.params), r.now);
  if (!t) return { status: 204 };
  const key = keyOf(triggerId(t, r.params.triggerName));
  const tr = ctx.repository.trigger(key, r.now);
  if (!tr) return { status: 204 };
  // Both answers are recorded: 204 with no headers (2023, 2025; the default) and 202 with both monitors (2024).
  if (ctx.timing.syncTriggerDelete) {
    ctx.repository.deleteTrigger(key);
    await ctx.repository.commit();
    return { status: 204 };
  }
  tr.provisioning = { state: "Deleting", until: r.now + ctx.timing.lroDurationMs, then: "Gone" };
  const op = ctx.repository.startOperation({
    template: t,
    resourceId: tr.id,
    now: r.now,
    durationMs: ctx.timing.lroDurationMs,
  });
  await ctx.repository.commit();
  return { status: 202, headers: lroHeaders(ctx.url, op, ctx.timing.retryAfterSeconds, true) };
}
