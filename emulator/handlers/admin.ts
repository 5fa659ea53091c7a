import type { EmulatorCore } from "../core";
import { validateFaultRule } from "../faults";
import { setRegistration, setRights } from "../subscription-setup";
import type { AdminRequest, Reply, RoutedRequest } from "../http";
import type { AdminRoute } from "../routes";
import { operationStatus } from "../lro";
import { keyOf, type JsonObject, type ProvisioningState, type TemplateRecord } from "../model";
import { renderTemplate, renderTrigger, stableGuid } from "../views";
import { writableIdentity, writableProperties } from "./image-templates";

/**
 * The admin API under /_emulator/ (routes in routes.ts; no ARM token, never logged, never faulted): test setup and
 * teardown, fault injection, the request log and out-of-band changes. Documented in emulator/README.md.
 */
const RESOURCE_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.VirtualMachineImages\/imageTemplates\/([^/]+)(?:\/triggers\/([^/]+))?$/i;

const ok = (body?: unknown): Reply => ({ status: body === undefined ? 204 : 200, body });
const bad = (message: string, status = 400): Reply => ({ status, body: { error: { code: "BadRequest", message } } });

/** Parses the body and runs the matched admin route; an unknown route is a 404 in the admin API's error shape. */
export async function handleAdmin(emu: EmulatorCore, route: AdminRoute | undefined, r: RoutedRequest): Promise<Reply> {
  let body: unknown;
  try {
    body = r.rawBody.length > 0 ? JSON.parse(r.rawBody.toString("utf8")) : undefined;
  } catch {
    return bad("request body is not valid JSON");
  }
  if (!route) return bad(`unknown admin route ${r.method} ${r.path}`, 404);
  return route.handler(emu, { ...r, body });
}

/** Admin calls that refuse their body with a plain Error answer 400 with its message. */
function applying(apply: () => void): Reply {
  try {
    apply();
  } catch (e) {
    return bad((e as Error).message);
  }
  return ok();
}

export async function reset(emu: EmulatorCore): Promise<Reply> {
  emu.state.templates = {};
  emu.state.triggers = {};
  emu.state.operations = {};
  emu.faults.clear();
  emu.requestLog.length = 0;
  await emu.store.commit();
  return ok();
}

export const state = (emu: EmulatorCore): Reply => ok(snapshot(emu));
export const requests = (emu: EmulatorCore): Reply => ok(emu.requestLog);
export function clearRequests(emu: EmulatorCore): Reply {
  emu.requestLog.length = 0;
  return ok();
}
export const faults = (emu: EmulatorCore): Reply => ok(emu.faults.list());
export const addFault = (emu: EmulatorCore, r: AdminRequest): Reply =>
  applying(() => emu.faults.add(validateFaultRule(r.body)));
export function clearFaults(emu: EmulatorCore): Reply {
  emu.faults.clear();
  return ok();
}
export const registration = (emu: EmulatorCore, r: AdminRequest): Reply => applying(() => setRegistration(emu, r.body));
export const rights = (emu: EmulatorCore, r: AdminRequest): Reply => applying(() => setRights(emu, r.body));
export const timing = (emu: EmulatorCore): Reply => ok(emu.timing);
export function setTiming(emu: EmulatorCore, r: AdminRequest): Reply {
  emu.timing = { ...emu.timing, ...pickNumbers(r.body, ["lroDurationMs", "buildDurationMs", "retryAfterSeconds"]) };
  return ok(emu.timing);
}
export const issueToken = async (emu: EmulatorCore, r: AdminRequest): Promise<Reply> =>
  ok(await emu.auth.issue((r.body ?? {}) as Parameters<typeof emu.auth.issue>[0]));

function pickNumbers(body: unknown, keys: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) {
    const v = (body as Record<string, unknown> | undefined)?.[k];
    if (typeof v === "number" && v >= 0) out[k] = v;
  }
  return out;
}

function snapshot(emu: EmulatorCore) {
  const now = Date.now();
  const templates = Object.keys(emu.state.templates)
    .map((k) => emu.template(k, now))
    .filter((t): t is TemplateRecord => t !== undefined);
  return {
    templates: templates.map((t) => renderTemplate(t, emu.runStatus(t, now))),
    triggers: Object.keys(emu.state.triggers)
      .map((k) => emu.trigger(k, now))
      .filter((tr) => tr !== undefined)
      .map(renderTrigger),
    operations: Object.values(emu.state.operations).map((op) => operationStatus(op, now)),
  };
}

/** Writes a template (GET shape) or trigger as given, bypassing every ARM rule, e.g. to simulate drift. */
export async function putResource(emu: EmulatorCore, r: AdminRequest): Promise<Reply> {
  const resourceId = `/${r.params.resourceId}`;
  const body = (r.body ?? {}) as JsonObject;
  const m = RESOURCE_ID.exec(resourceId);
  if (!m) return bad(`not an image template or trigger id: ${resourceId}`);
  const [, subscriptionId, resourceGroup, name, triggerName] = m;
  const now = Date.now();
  const templateKey = keyOf(resourceId.replace(/\/triggers\/[^/]+$/i, ""));
  const existing = emu.template(templateKey, now);
  const props = (body.properties ?? {}) as JsonObject;
  if (triggerName) {
    if (!existing) return bad(`template ${templateKey} does not exist`, 404);
    emu.state.triggers[keyOf(resourceId)] = {
      id: resourceId,
      name: triggerName,
      templateKey,
      properties: { kind: props.kind ?? "SourceImage" },
      systemData: existing.systemData,
      createdAt: new Date(now).toISOString(),
      provisioning: { state: (props.provisioningState as ProvisioningState | undefined) ?? "Succeeded" },
    };
  } else {
    const state = (props.provisioningState as ProvisioningState | undefined) ?? "Succeeded";
    const at = new Date(now).toISOString();
    const t: TemplateRecord = {
      id: resourceId,
      name,
      subscriptionId,
      resourceGroup,
      location: String(body.location ?? existing?.location ?? "westus"),
      identity: writableIdentity((body.identity ?? existing?.identity ?? { type: "None" }) as JsonObject),
      properties: writableProperties(props),
      systemData: (body.systemData as JsonObject | undefined) ??
        existing?.systemData ?? { createdAt: at, createdBy: "emulator-admin", createdByType: "Application" },
      provisioning: { state },
      exactStagingResourceGroup:
        (props.exactStagingResourceGroup as string | undefined) ??
        existing?.exactStagingResourceGroup ??
        `/subscriptions/${subscriptionId}/resourceGroups/IT_${resourceGroup}_${name}_${stableGuid(resourceId)}`,
      runCount: existing?.runCount ?? 0,
    };
    if (state === "Failed" && props.provisioningError) {
      t.provisioning.error = props.provisioningError as TemplateRecord["provisioning"]["error"];
    }
    if (existing?.run) t.run = existing.run;
    if (body.tags) t.tags = body.tags as JsonObject;
    emu.state.templates[templateKey] = t;
  }
  await emu.store.commit();
  return ok();
}

export async function deleteResource(emu: EmulatorCore, r: AdminRequest): Promise<Reply> {
  const resourceId = `/${r.params.resourceId}`;
  const key = keyOf(resourceId);
  if (emu.state.templates[key]) emu.removeTemplate(key);
  else if (emu.state.triggers[key]) delete emu.state.triggers[key];
  else return bad(`no such resource: ${resourceId}`, 404);
  await emu.store.commit();
  return ok();
}
