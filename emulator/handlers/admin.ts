import type { EmulatorContext } from "../context";
import { errors } from "../errors";
import { validateFaultRule } from "../faults";
import type { AdminRequest, Reply, RoutedRequest } from "../http";
import { operationStatus } from "../lro";
import { keyOf, runStatusOf, writableIdentity, writableProperties } from "../model";
import type { JsonObject, ProvisioningState, TemplateRecord } from "../model";
import { stagingResourceGroupId } from "../resource-ids";
import { renderTemplate, renderTrigger, stableGuid } from "../views";

/**
 * The admin API under /_emulator/ (routes in routes.ts; no ARM token, never logged, never faulted): test setup and
 * teardown, fault injection, the request log and out-of-band changes. Documented in emulator/README.md.
 */
const RESOURCE_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.VirtualMachineImages\/imageTemplates\/([^/]+)(?:\/triggers\/([^/]+))?$/i;

const ok = (body?: unknown): Reply => ({ status: body === undefined ? 204 : 200, body });
function bad(message: string, status = 400): Reply {
  const e = errors.adminRequest(message, status);
  return { status: e.status, body: e.body() };
}

/** Parses the body and runs the matched admin route; an unknown route is a 404 in the admin API's error shape. */
export async function handleAdmin(
  ctx: EmulatorContext,
  // The matched route as routes.ts declares it (only its handler is used here, so no import back into the table).
  route: { handler: (ctx: EmulatorContext, r: AdminRequest) => Reply | Promise<Reply> } | undefined,
  r: RoutedRequest,
): Promise<Reply> {
  let body: unknown;
  try {
    body = r.rawBody.length > 0 ? JSON.parse(r.rawBody.toString("utf8")) : undefined;
  } catch {
    return bad("request body is not valid JSON");
  }
  if (!route) return bad(`unknown admin route ${r.method} ${r.path}`, 404);
  return route.handler(ctx, { ...r, body });
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

/**
 * Back to a fresh start's state: no resources, faults or logged requests, start timing, all subscriptions set up,
 * every identity allowed to read everything.
 */
export async function reset(ctx: EmulatorContext): Promise<Reply> {
  ctx.repository.clear();
  ctx.faults.clear();
  ctx.downloads.reset();
  ctx.requestLog.length = 0;
  ctx.timing = { ...ctx.startTiming };
  ctx.subscriptions.reset();
  ctx.identityAccess.reset();
  await ctx.repository.commit();
  return ok();
}

export const state = (ctx: EmulatorContext, r: AdminRequest): Reply => ok(snapshot(ctx, r.now));
export const requests = (ctx: EmulatorContext): Reply => ok(ctx.requestLog);
export function clearRequests(ctx: EmulatorContext): Reply {
  ctx.requestLog.length = 0;
  return ok();
}
export const faults = (ctx: EmulatorContext): Reply => ok(ctx.faults.list());
export const addFault = (ctx: EmulatorContext, r: AdminRequest): Reply =>
  applying(() => ctx.faults.add(validateFaultRule(r.body)));
export function clearFaults(ctx: EmulatorContext): Reply {
  ctx.faults.clear();
  return ok();
}
export const registration = (ctx: EmulatorContext, r: AdminRequest): Reply =>
  applying(() => ctx.subscriptions.setRegistration(r.body));
export const rights = (ctx: EmulatorContext, r: AdminRequest): Reply =>
  applying(() => ctx.subscriptions.setRights(r.body));
export const identityAccess = (ctx: EmulatorContext, r: AdminRequest): Reply =>
  applying(() => ctx.identityAccess.set(r.body));
export const timing = (ctx: EmulatorContext): Reply => ok(ctx.timing);
export function setTiming(ctx: EmulatorContext, r: AdminRequest): Reply {
  ctx.timing = {
    ...ctx.timing,
    ...pick(r.body, ["lroDurationMs", "buildDurationMs", "retryAfterSeconds"], (v) => typeof v === "number" && v >= 0),
    ...pick(r.body, ["syncPatch", "syncTriggerDelete"], (v) => typeof v === "boolean"),
  };
  return ok(ctx.timing);
}
/** Moves the resources' clock forward by `advanceMs`: operations and builds due by then are done. */
export async function advanceClock(ctx: EmulatorContext, r: AdminRequest): Promise<Reply> {
  const ms = (r.body as { advanceMs?: unknown } | undefined)?.advanceMs;
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) return bad("advanceMs must be a number of ms >= 0");
  ctx.repository.advanceClock(ms);
  await ctx.repository.commit();
  return ok({ now: new Date(ctx.clock()).toISOString(), offsetMs: ctx.repository.clockOffsetMs() });
}
/** Registers the contents a URL serves (`{uri, contents}`, contents as text or `{base64}`) for steps downloading it. */
export const registerFile = (ctx: EmulatorContext, r: AdminRequest): Reply =>
  applying(() => {
    const { uri, contents, base64 } = (r.body ?? {}) as { uri?: unknown; contents?: unknown; base64?: unknown };
    if (typeof base64 === "string") ctx.downloads.register(String(uri), Buffer.from(base64, "base64"));
    else if (typeof contents === "string") ctx.downloads.register(String(uri), contents);
    else throw new Error("a file needs 'contents' (text) or 'base64'");
  });
export const issueToken = async (ctx: EmulatorContext, r: AdminRequest): Promise<Reply> =>
  ok(await ctx.auth.issue((r.body ?? {}) as Parameters<typeof ctx.auth.issue>[0]));

/** The members of `body` among `keys` whose values `valid` accepts (others are ignored). */
function pick(body: unknown, keys: string[], valid: (v: unknown) => boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const v = (body as Record<string, unknown> | undefined)?.[k];
    if (valid(v)) out[k] = v;
  }
  return out;
}

function snapshot(ctx: EmulatorContext, now: number) {
  const { repository } = ctx;
  return {
    templates: repository.templatesUnder("", now).map((t) => renderTemplate(t, runStatusOf(t, now))),
    triggers: repository.triggers(now).map((tr) => renderTrigger(tr)),
    operations: repository.operations().map((op) => operationStatus(op, now)),
  };
}

/** Writes a template (GET shape) or trigger as given, bypassing every ARM rule, e.g. to simulate drift. */
export async function putResource(ctx: EmulatorContext, r: AdminRequest): Promise<Reply> {
  const resourceId = `/${r.params.resourceId}`;
  const body = (r.body ?? {}) as JsonObject;
  const m = RESOURCE_ID.exec(resourceId);
  if (!m) return bad(`not an image template or trigger id: ${resourceId}`);
  const [, subscriptionId, resourceGroup, name, triggerName] = m;
  const now = r.now;
  const templateKey = keyOf(resourceId.replace(/\/triggers\/[^/]+$/i, ""));
  const existing = ctx.repository.template(templateKey, now);
  const props = (body.properties ?? {}) as JsonObject;
  if (triggerName) {
    if (!existing) return bad(`template ${templateKey} does not exist`, 404);
    ctx.repository.putTrigger(keyOf(resourceId), {
      id: resourceId,
      name: triggerName,
      templateKey,
      properties: { kind: props.kind ?? "SourceImage" },
      systemData: existing.systemData,
      createdAt: new Date(now).toISOString(),
      provisioning: { state: (props.provisioningState as ProvisioningState | undefined) ?? "Succeeded" },
    });
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
        stagingResourceGroupId(subscriptionId, resourceGroup, name, stableGuid(resourceId)),
      runCount: existing?.runCount ?? 0,
    };
    t.stagingAccount = existing
      ? ctx.storage.accounts.accountOf(existing).name
      : ctx.storage.accounts.giveAccount(t.exactStagingResourceGroup, ctx.repository.templatesUnder("", now));
    if (state === "Failed" && props.provisioningError) {
      t.provisioning.error = props.provisioningError as TemplateRecord["provisioning"]["error"];
    }
    if (existing?.run) t.run = existing.run;
    if (body.tags) t.tags = body.tags as JsonObject;
    ctx.repository.putTemplate(templateKey, t);
  }
  await ctx.repository.commit();
  return ok();
}

export async function deleteResource(ctx: EmulatorContext, r: AdminRequest): Promise<Reply> {
  const resourceId = `/${r.params.resourceId}`;
  const key = keyOf(resourceId);
  if (!ctx.repository.deleteTemplate(key) && !ctx.repository.deleteTrigger(key))
    return bad(`no such resource: ${resourceId}`, 404);
  await ctx.repository.commit();
  return ok();
}
