import { cancelRun, startRun, startRunOperation } from "../builds";
import { checkLocation } from "../limits";
import type { EmulatorCore } from "../core";
import { errors } from "../errors";
import type { ArmRequest, Reply } from "../http";
import { lroHeaders, startOperation } from "../lro";
import { keyOf, type JsonObject, type Provisioning, type TemplateRecord } from "../model";
import { validateBody } from "../schema";
import schema from "../schema/imagebuilder-2025-10-01.schema.json";
import { renderTemplate, stableGuid } from "../views";
import { checkDistribute, checkIdentity, checkName, page, parseJson, requireTemplate, systemDataFor } from "./common";

/** Default provisioning failure for fault `failProvisioning`. */
export const DEFAULT_PROVISIONING_FAILURE =
  "Provisioning of the image template failed: the source image could not be accessed by the template's identity.";

const READ_ONLY_PROPERTIES = ["provisioningState", "provisioningError", "lastRunStatus", "exactStagingResourceGroup"];
const TEMPLATE_FIELDS = Object.keys(schema.definitions.ImageTemplate.properties);
const TEMPLATE_PROPERTY_FIELDS = Object.keys(schema.definitions.ImageTemplateProperties.properties);

/** Drops read-only fields a client may echo back from a GET; the service ignores them. */
export function writableProperties(properties: JsonObject): JsonObject {
  const out: JsonObject = { ...properties };
  for (const k of READ_ONLY_PROPERTIES) delete out[k];
  if (out.source && typeof out.source === "object") {
    const source = { ...(out.source as JsonObject) };
    delete source.exactVersion;
    out.source = source;
  }
  return out;
}

export function writableIdentity(identity: JsonObject): JsonObject {
  const uais = identity.userAssignedIdentities as JsonObject | undefined;
  if (!uais) return { type: identity.type };
  return { type: identity.type, userAssignedIdentities: Object.fromEntries(Object.keys(uais).map((k) => [k, {}])) };
}

function reply(emu: EmulatorCore, t: TemplateRecord, now: number, status = 200): Reply {
  return { status, body: renderTemplate(t, emu.runStatus(t, now)) };
}

export function getTemplate(emu: EmulatorCore, r: ArmRequest): Reply {
  return reply(emu, requireTemplate(emu, r), r.now);
}

export function listTemplates(emu: EmulatorCore, r: ArmRequest): Reply {
  const scope = r.params.resourceGroupName
    ? `/subscriptions/${r.params.subscriptionId}/resourcegroups/${r.params.resourceGroupName}/`
    : `/subscriptions/${r.params.subscriptionId}/`;
  const items = emu.templatesUnder(keyOf(scope), r.now).map((t) => renderTemplate(t, emu.runStatus(t, r.now)));
  return page(emu, r, items);
}

/** PUT: create only. Any PUT onto an existing name (even identical, even Failed) is the service's 409 (§2a). */
export async function putTemplate(emu: EmulatorCore, r: ArmRequest): Promise<Reply> {
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

  const key = emu.templateKeyFromParams(r.params);
  if (emu.template(key, r.now)) throw errors.templateConflict();

  const now = r.now;
  const ready = now + emu.timing.lroDurationMs;
  const failing = r.fault?.kind === "failProvisioning";
  const provisioningError = {
    provisioningErrorCode: "Other",
    message: r.fault?.message ?? DEFAULT_PROVISIONING_FAILURE,
  };
  const provisioning: Provisioning = failing
    ? { state: "Creating", until: ready, then: "Failed", error: provisioningError }
    : { state: "Creating", until: ready, then: "Succeeded" };
  const id = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroupName}/providers/Microsoft.VirtualMachineImages/imageTemplates/${imageTemplateName}`;
  const staging =
    typeof properties.stagingResourceGroup === "string" && properties.stagingResourceGroup !== ""
      ? properties.stagingResourceGroup
      : `/subscriptions/${subscriptionId}/resourceGroups/IT_${resourceGroupName}_${imageTemplateName}_${stableGuid(`${id}:${now}`)}`;
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
    runCount: 0,
  };
  if (b.tags) t.tags = b.tags as JsonObject;
  emu.state.templates[key] = t;
  const op = startOperation(emu.state, {
    subscriptionId,
    location: t.location,
    resourceKey: key,
    now,
    durationMs: emu.timing.lroDurationMs,
    outcome: failing ? "Failed" : "Succeeded",
    ...(failing
      ? { error: { code: provisioningError.provisioningErrorCode, message: provisioningError.message } }
      : {}),
  });
  // autoRun builds once, as soon as provisioning has succeeded.
  if (!failing && (properties.autoRun as JsonObject | undefined)?.state === "Enabled") {
    startRun(emu, t, ready, undefined);
  }
  await emu.store.commit();
  return {
    status: 201,
    body: renderTemplate(t, undefined),
    headers: lroHeaders(emu.url, op, emu.timing.retryAfterSeconds, false),
  };
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
function checkIdle(emu: EmulatorCore, t: TemplateRecord, now: number, action: string): void {
  const status = emu.runStatus(t, now);
  if (["Creating", "Updating", "Deleting"].includes(t.provisioning.state) || emu.isBuilding(t, now)) {
    throw errors.operationNotAllowed(action, t.provisioning.state, status?.runState);
  }
}

export async function patchTemplate(emu: EmulatorCore, r: ArmRequest): Promise<Reply> {
  const body = parseJson(r);
  if (typeof body === "object" && body !== null && !Array.isArray(body)) checkPatchFields(body as JsonObject);
  validateBody("ImageTemplateUpdateParameters", body);
  const b = body as JsonObject;
  const t = requireTemplate(emu, r);
  checkIdle(emu, t, r.now, "write");
  if (b.identity) checkIdentity(b.identity as JsonObject, true);
  const props = (b.properties as JsonObject | undefined) ?? {};
  if (props.distribute) checkDistribute(props.distribute as JsonObject[]);

  if (b.tags) t.tags = b.tags as JsonObject;
  if (b.identity) t.identity = writableIdentity(b.identity as JsonObject);
  if (props.vmProfile) t.properties.vmProfile = props.vmProfile;
  if (props.distribute) t.properties.distribute = props.distribute;
  t.systemData = systemDataFor(r, t.systemData);
  t.provisioning = { state: "Updating", until: r.now + emu.timing.lroDurationMs, then: "Succeeded" };
  const op = startOperation(emu.state, {
    subscriptionId: t.subscriptionId,
    location: t.location,
    resourceKey: keyOf(t.id),
    now: r.now,
    durationMs: emu.timing.lroDurationMs,
  });
  await emu.store.commit();
  return { status: 202, headers: lroHeaders(emu.url, op, emu.timing.retryAfterSeconds, false) };
}

export async function deleteTemplate(emu: EmulatorCore, r: ArmRequest): Promise<Reply> {
  const t = emu.template(emu.templateKeyFromParams(r.params), r.now);
  if (!t) return { status: 204 };
  if (t.provisioning.state === "Creating") throw errors.deleteWhileCreating();
  if (emu.isBuilding(t, r.now)) {
    throw errors.operationNotAllowed("delete", t.provisioning.state, emu.runStatus(t, r.now)?.runState);
  }
  const until =
    t.provisioning.state === "Deleting" && t.provisioning.until
      ? t.provisioning.until
      : r.now + emu.timing.lroDurationMs;
  t.provisioning = { state: "Deleting", until, then: "Gone" };
  const op = startOperation(emu.state, {
    subscriptionId: t.subscriptionId,
    location: t.location,
    resourceKey: keyOf(t.id),
    now: r.now,
    durationMs: until - r.now,
  });
  await emu.store.commit();
  return { status: 202, headers: lroHeaders(emu.url, op, emu.timing.retryAfterSeconds, true) };
}

export async function runTemplate(emu: EmulatorCore, r: ArmRequest): Promise<Reply> {
  const t = requireTemplate(emu, r);
  if (t.provisioning.state !== "Succeeded" || emu.isBuilding(t, r.now)) {
    throw errors.operationNotAllowed("run", t.provisioning.state, emu.runStatus(t, r.now)?.runState);
  }
  const op = startRunOperation(emu, t, r.now, r.fault);
  await emu.store.commit();
  // The service answers run with both monitors (recorded traffic 2022-2025).
  return { status: 202, headers: lroHeaders(emu.url, op, emu.timing.retryAfterSeconds, true) };
}

export async function cancelTemplate(emu: EmulatorCore, r: ArmRequest): Promise<Reply> {
  const t = requireTemplate(emu, r);
  const op = cancelRun(emu, t, r.now);
  await emu.store.commit();
  return { status: 202, headers: lroHeaders(emu.url, op, emu.timing.retryAfterSeconds, false) };
}
