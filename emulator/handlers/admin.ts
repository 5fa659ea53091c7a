import type { EmulatorCore } from "../core";
import { validateFaultRule } from "../faults";
import { setRegistration, setRights } from "../subscription-setup";
import type { Reply } from "../http";
import { operationStatus } from "../lro";
import { keyOf, type JsonObject, type ProvisioningState, type TemplateRecord } from "../model";
import { renderTemplate, renderTrigger, stableGuid } from "../views";
import { writableIdentity, writableProperties } from "./image-templates";

/**
 * The admin API under /_emulator/ (no ARM token, never logged, never faulted): test setup and teardown,
 * fault injection, the request log and out-of-band changes. Documented in emulator/README.md.
 */
const RESOURCE_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.VirtualMachineImages\/imageTemplates\/([^/]+)(?:\/triggers\/([^/]+))?$/i;

const ok = (body?: unknown): Reply => ({ status: body === undefined ? 204 : 200, body });
const bad = (message: string, status = 400): Reply => ({ status, body: { error: { code: "BadRequest", message } } });

export async function handleAdmin(emu: EmulatorCore, method: string, path: string, rawBody: Buffer): Promise<Reply> {
  const route = `${method} ${path.replace(/^\/_emulator/, "").replace(/\/resources\/.*$/, "/resources")}`;
  let body: unknown;
  try {
    body = rawBody.length > 0 ? JSON.parse(rawBody.toString("utf8")) : undefined;
  } catch {
    return bad("request body is not valid JSON");
  }
  switch (route) {
    case "POST /reset":
      emu.state.templates = {};
      emu.state.triggers = {};
      emu.state.operations = {};
      emu.faults.clear();
      emu.requestLog.length = 0;
      await emu.store.commit();
      return ok();
    case "GET /state":
      return ok(snapshot(emu));
    case "GET /requests":
      return ok(emu.requestLog);
    case "DELETE /requests":
      emu.requestLog.length = 0;
      return ok();
    case "GET /faults":
      return ok(emu.faults.list());
    case "POST /faults":
      try {
        emu.faults.add(validateFaultRule(body));
      } catch (e) {
        return bad((e as Error).message);
      }
      return ok();
    case "PUT /registrations":
    case "PUT /rights":
      try {
        (route.endsWith("registrations") ? setRegistration : setRights)(emu, body);
      } catch (e) {
        return bad((e as Error).message);
      }
      return ok();
    case "DELETE /faults":
      emu.faults.clear();
      return ok();
    case "GET /timing":
      return ok(emu.timing);
    case "PATCH /timing":
      emu.timing = { ...emu.timing, ...pickNumbers(body, ["lroDurationMs", "buildDurationMs", "retryAfterSeconds"]) };
      return ok(emu.timing);
    case "POST /token":
      return ok(await emu.auth.issue((body ?? {}) as Parameters<typeof emu.auth.issue>[0]));
    case "PUT /resources":
      return putRaw(emu, decodeURIComponent(path.slice("/_emulator/resources".length)), (body ?? {}) as JsonObject);
    case "DELETE /resources":
      return deleteRaw(emu, decodeURIComponent(path.slice("/_emulator/resources".length)));
    default:
      return bad(`unknown admin route ${method} ${path}`, 404);
  }
}

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
async function putRaw(emu: EmulatorCore, resourceId: string, body: JsonObject): Promise<Reply> {
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

async function deleteRaw(emu: EmulatorCore, resourceId: string): Promise<Reply> {
  const key = keyOf(resourceId);
  if (emu.state.templates[key]) emu.removeTemplate(key);
  else if (emu.state.triggers[key]) delete emu.state.triggers[key];
  else return bad(`no such resource: ${resourceId}`, 404);
  await emu.store.commit();
  return ok();
}
