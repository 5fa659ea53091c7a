import { cancelRun, startRun, startRunOperation } from "../builds";
import { checkLocation } from "../limits";
import type { EmulatorContext } from "../context";
import { errors } from "../errors";
import type { ArmRequest, Reply } from "../http";
import { lroHeaders } from "../lro";
import { isBuilding, keyOf, runStatusOf, writableIdentity, writableProperties } from "../model";
import type { JsonObject, Provisioning, TemplateRecord } from "../model";
import { firstNamedResource, notAuthorizedMessage } from "../identity-access";
import { imageTemplateId, scopeId, stagingResourceGroupId } from "../resource-ids";
import { validateBody } from "../schema/validate";
import schema from "../schema/imagebuilder-2025-10-01.schema.json";
import { renderTemplate, stableGuid } from "../views";
import {
  checkDistribute,
  checkIdentity,
  checkName,
  page,
  parseJson,
  requireTemplate,
  systemDataFor,
  templateKeyOf,
} from "./common";

const TEMPLATE_FIELDS = Object.keys(schema.definitions.ImageTemplate.properties);
const TEMPLATE_PROPERTY_FIELDS = Object.keys(schema.definitions.ImageTemplateProperties.properties);

function reply(t: TemplateRecord, now: number, status = 200): Reply {
  return { status, body: renderTemplate(t, runStatusOf(t, now)) };
}

export function getTemplate(ctx: EmulatorContext, r: ArmRequest): Reply {
  return reply(requireTemplate(ctx, r), r.now);
}

export function listTemplates(ctx: EmulatorContext, r: ArmRequest): Reply {
  const scope = `${scopeId(r.params.subscriptionId, r.params.resourceGroupName)}/`;
  const items = ctx.repository.templatesUnder(keyOf(scope), r.now).map((t) => renderTemplate(t, runStatusOf(t, r.now)));
  return page(ctx, r, items);
}

/** PUT: create only. Any PUT onto an existing name (even identical, even Failed) is the service's 409, as the AVM module and the service docs report. */
export async function putTemplate(ctx: EmulatorContext, r: ArmRequest): Promise<Reply> {
  const { subscriptionId, resourceGroupName, imageTemplateName } = r.params;
  checkName("imageTemplateName", imageTemplateName);
  const body = parseJson(r);
  validateBody("ImageTemplate", body);
  const b = body as JsonObject;
  if (!b.properties) throw errors.validation("'ImageTemplate': Missing field 'properties'");
  const identity = b.identity as JsonObject;
  checkIdentity(identity, false);
  checkLocation(b.location);
  const properties = writableProperties(b.properties as JsonObject);
  checkDistribute(properties.distribute as JsonObject[]);

  const key = templateKeyOf(r.params);
  if (ctx.repository.template(key, r.now)) throw errors.templateConflict();

  const now = r.now;
  const ready = now + ctx.timing.lroDurationMs;
  const id = imageTemplateId(subscriptionId, resourceGroupName, imageTemplateName);
  const given = properties.stagingResourceGroup;
  // The service adds the leading "/" a caller's group id lacked (and echoes stagingResourceGroup as sent).
  const staging =
    typeof given === "string" && given !== ""
      ? `/${given.replace(/^\//, "")}`
      : stagingResourceGroupId(subscriptionId, resourceGroupName, imageTemplateName, stableGuid(`${id}:${now}`));
  const failure = provisioningFailure(ctx, r, identity, properties, staging);
  const provisioning: Provisioning = failure
    ? { state: "Creating", until: ready, then: "Failed", error: { provisioningErrorCode: "Other", message: failure } }
    : { state: "Creating", until: ready, then: "Succeeded" };
  const t: TemplateRecord = {
    id,
    name: imageTemplateName,
    subscriptionId,
    resourceGroup: resourceGroupName,
    location: String(b.location),
    identity: writableIdentity(identity),
    properties,
    systemData: systemDataFor(r),
    provisioning,
    exactStagingResourceGroup: staging,
    stagingAccount: ctx.storage.accounts.giveAccount(staging, ctx.repository.templatesUnder("", now)),
    checksums: ctx.downloads.computedFor(properties),
    runCount: 0,
  };
  if (b.tags) t.tags = b.tags as JsonObject;
  ctx.repository.putTemplate(key, t);
  const op = ctx.repository.startOperation({
    template: t,
    now,
    durationMs: ctx.timing.lroDurationMs,
    // The operation's code is not the template's provisioningErrorCode ("Other"), as recorded.
    outcome: failure ? "Failed" : "Succeeded",
    ...(failure ? { error: { code: "Unauthorized", message: failure } } : {}),
  });
  // autoRun builds once, as soon as provisioning has succeeded.
  if (!failure && (properties.autoRun as JsonObject | undefined)?.state === "Enabled") {
    startRun(ctx, t, ready, undefined);
  }
  // Rendered before the commit's wait: a reader may settle the record meanwhile, the response is the PUT's own.
  const created = renderTemplate(t, undefined);
  await ctx.repository.commit();
  return {
    status: 201,
    body: created,
    headers: lroHeaders(ctx.url, op, ctx.timing.retryAfterSeconds, false),
  };
}

/**
 * Why provisioning will fail, found (as the service finds it) only after the PUT was accepted: a resource the template
 * names that its identity may not read (admin identity access), or the `failProvisioning` fault (its `message`, else
 * the service's text for the first resource the template names).
 */
function provisioningFailure(
  ctx: EmulatorContext,
  r: ArmRequest,
  identity: JsonObject,
  properties: JsonObject,
  staging: string,
): string | undefined {
  const unreadable = ctx.identityAccess.unreadableResource(identity, properties);
  if (unreadable) return notAuthorizedMessage(unreadable);
  if (r.fault?.kind !== "failProvisioning") return undefined;
  return r.fault.message ?? notAuthorizedMessage(firstNamedResource(properties) ?? staging);
}

/** Rejects (with a clear code) fields PATCH cannot change, before schema validation reports them as unknown. */
function checkPatchFields(b: JsonObject): void {
  for (const k of Object.keys(b)) {
    if (!["tags", "identity", "properties"].includes(k) && TEMPLATE_FIELDS.includes(k))
      throw errors.patchFieldNotUpdatable(k);
  }
  const props = b.properties as JsonObject | undefined;
  if (props && typeof props === "object") {
    for (const k of Object.keys(props)) {
      if (!["vmProfile", "distribute"].includes(k) && TEMPLATE_PROPERTY_FIELDS.includes(k)) {
        throw errors.patchFieldNotUpdatable(`properties.${k}`);
      }
    }
  }
}

/** Refuses changes while the template is in transition or building (the service's OperationNotAllowed). */
function checkIdle(t: TemplateRecord, now: number, action: string): void {
  const status = runStatusOf(t, now);
  if (["Creating", "Updating", "Deleting"].includes(t.provisioning.state) || isBuilding(t, now)) {
    throw errors.operationNotAllowed(action, t.provisioning.state, status?.runState);
  }
}

export async function patchTemplate(ctx: EmulatorContext, r: ArmRequest): Promise<Reply> {
  const body = parseJson(r);
  if (typeof body === "object" && body !== null && !Array.isArray(body)) checkPatchFields(body as JsonObject);
  validateBody("ImageTemplateUpdateParameters", body);
  const b = body as JsonObject;
  const t = requireTemplate(ctx, r);
  checkIdle(t, r.now, "write");
  if (b.identity) checkIdentity(b.identity as JsonObject, true);
  const props = (b.properties as JsonObject | undefined) ?? {};
  if (props.distribute) checkDistribute(props.distribute as JsonObject[]);

  if (b.tags) t.tags = b.tags as JsonObject;
  if (b.identity) t.identity = writableIdentity(b.identity as JsonObject);
  if (props.vmProfile) t.properties.vmProfile = props.vmProfile;
  if (props.distribute) t.properties.distribute = props.distribute;
  t.systemData = systemDataFor(r, t.systemData);
  // API 2022-07-01 answered PATCH synchronously with the template; 2023-07-01 on: 202, no body, both monitors.
  if (ctx.timing.syncPatch) {
    t.provisioning = { state: "Succeeded" };
    await ctx.repository.commit();
    return reply(t, r.now);
  }
  t.provisioning = { state: "Updating", until: r.now + ctx.timing.lroDurationMs, then: "Succeeded" };
  const op = ctx.repository.startOperation({
    template: t,
    now: r.now,
    durationMs: ctx.timing.lroDurationMs,
  });
  await ctx.repository.commit();
  return { status: 202, headers: lroHeaders(ctx.url, op, ctx.timing.retryAfterSeconds, true) };
}

export async function deleteTemplate(ctx: EmulatorContext, r: ArmRequest): Promise<Reply> {
  const t = ctx.repository.template(templateKeyOf(r.params), r.now);
  if (!t) return { status: 204 };
  if (t.provisioning.state === "Creating") throw errors.deleteWhileCreating();
  if (isBuilding(t, r.now)) {
    throw errors.operationNotAllowed("delete", t.provisioning.state, runStatusOf(t, r.now)?.runState);
  }
  const until =
    t.provisioning.state === "Deleting" && t.provisioning.until
      ? t.provisioning.until
      : r.now + ctx.timing.lroDurationMs;
  t.provisioning = { state: "Deleting", until, then: "Gone" };
  const op = ctx.repository.startOperation({
    template: t,
    now: r.now,
    durationMs: until - r.now,
  });
  await ctx.repository.commit();
  return { status: 202, headers: lroHeaders(ctx.url, op, ctx.timing.retryAfterSeconds, true) };
}

export async function runTemplate(ctx: EmulatorContext, r: ArmRequest): Promise<Reply> {
  const t = requireTemplate(ctx, r);
  if (t.provisioning.state !== "Succeeded" || isBuilding(t, r.now)) {
    throw errors.operationNotAllowed("run", t.provisioning.state, runStatusOf(t, r.now)?.runState);
  }
  const op = startRunOperation(ctx, t, r.now, r.fault);
  await ctx.repository.commit();
  // The service answers run with both monitors, byte-identical (recorded traffic 2022-2025).
  return { status: 202, headers: lroHeaders(ctx.url, op, ctx.timing.retryAfterSeconds, true) };
}

/** Cancel: 204 with no body, no Content-Type and no LRO headers, as every recorded cancel (2020-2025). */
export async function cancelTemplate(ctx: EmulatorContext, r: ArmRequest): Promise<Reply> {
  const t = requireTemplate(ctx, r);
  cancelRun(ctx, t, r.now);
  await ctx.repository.commit();
  return { status: 204 };
}
