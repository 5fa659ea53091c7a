import * as https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import type { EmulatorContext, RequestLogEntry } from "./context";
import { ArmError, errors } from "./errors";
import { API_VERSION } from "./service";
import { readBody, send, type Reply, type RoutedRequest } from "./http";
import type { Matched } from "./router";
import { handleAdmin } from "./handlers/admin";
import { templateKeyOf } from "./handlers/common";
import { isBuilding } from "./model";
import {
  ADMIN_TOKEN_HEADER,
  adminTokenMatches,
  applyConnectionLimits,
  checkArmBody,
  connectionOptions,
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  hasDotSegment,
  MAX_BODY_BYTES,
  MAX_UNAUTHENTICATED_BODY_BYTES,
  rawPathOf,
  RESOURCE_GROUP_NAME,
} from "./limits";
import { isAdminPath, router, type Route } from "./routes";
import { FAULTS } from "./faults";

/**
 * Before answering about a template (or its run's operation) whose build has ended, its build log gets every line
 * due: a client that sees the build ended finds the whole log. While the build runs the writer's timer appends, so
 * status reads do not wait for the blob service. Writing the log never fails the ARM request.
 */
async function syncBuildLog(ctx: EmulatorContext, params: Record<string, string>, now: number): Promise<void> {
  const key = params.imageTemplateName
    ? templateKeyOf(params)
    : params.operationId
      ? ctx.repository.operation(params.operationId.toLowerCase())?.resourceKey
      : undefined;
  const t = key ? ctx.repository.template(key, now) : undefined;
  if (t && !isBuilding(t, now)) await ctx.buildLogs.sync(t, now);
}

function errorReply(e: unknown, log: (m: string) => void): Reply {
  if (e instanceof ArmError) return { status: e.status, body: e.body(), headers: e.headers };
  log(`internal error: ${(e as Error).stack ?? String(e)}`);
  return { status: 500, body: errors.transient(500).body() };
}

type Unread = Omit<RoutedRequest, "params" | "rawBody" | "now">;
type WithBody = Omit<RoutedRequest, "params">;

/**
 * The ARM front door's checks that need no body, in its order: an unauthenticated request is answered before its
 * body is read. Resolves to what the handler needs.
 */
async function armGate(ctx: EmulatorContext, found: Matched<Route> | undefined, r: Unread) {
  const path = r.path;
  const onPath = found?.onPath[0].surface === "arm" ? found.onPath[0] : undefined;
  if (!found || !onPath)
    throw path.toLowerCase().includes("/providers/microsoft.virtualmachineimages")
      ? errors.invalidResourceType(path)
      : errors.notFound(path);
  const caller = await ctx.auth.verify(r.headers.authorization);
  if (found.malformed) throw errors.malformedEncoding();
  const rg = found.params.resourceGroupName;
  if (rg !== undefined && !RESOURCE_GROUP_NAME.test(rg)) throw errors.resourceGroupName(rg);
  const apiVersion = r.query.get("api-version");
  if (apiVersion === null) throw errors.missingApiVersion();
  if (apiVersion !== (onPath.apiVersion ?? API_VERSION)) throw errors.invalidApiVersion(apiVersion);
  const route = found.route;
  if (route?.surface !== "arm") throw errors.methodNotAllowed(r.method);
  const sub = found.params.subscriptionId;
  const granted = (s: string) => s.toLowerCase() === sub?.toLowerCase() && ctx.subscriptions.hasRights(s);
  if (sub !== undefined && !caller.subscriptionIds.some(granted)) {
    throw errors.authorizationFailed(
      caller.clientId,
      caller.objectId,
      route.action,
      path.replace(/\/(run|cancel)$/i, ""),
    );
  }
  ctx.subscriptions.checkRegistered(sub);
  return { route, params: found.params, caller };
}

/** The route's handler, once the body is in and passes the front door's content rules. */
async function armReply(ctx: EmulatorContext, gate: Awaited<ReturnType<typeof armGate>>, r: WithBody): Promise<Reply> {
  if (r.method === "PUT" || r.method === "PATCH") checkArmBody(r.rawBody);
  await syncBuildLog(ctx, gate.params, r.now);
  return gate.route.handler(ctx, { ...r, params: gate.params, caller: gate.caller });
}

/** Reads the body, up to `limit` bytes kept; undefined when the connection was cut (a body past any draining). */
async function bodyOf(req: IncomingMessage, res: ServerResponse, limit: number) {
  try {
    return await readBody(req, limit);
  } catch {
    res.destroy();
    return undefined;
  }
}

export async function handleRequest(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  adminToken: string,
): Promise<void> {
  const started = Date.now();
  const method = req.method ?? "GET";
  const url = new URL(req.url ?? "/", "https://emulator");
  const path = url.pathname;
  const reply = (r: Reply) => send(res, r);
  // Before routing: URL parsing resolved `..`, so the raw path is what tells `/x/../../_emulator` apart.
  if (hasDotSegment(rawPathOf(req.url))) {
    reply(errorReply(errors.dotSegment(), ctx.log));
    return;
  }
  const found = router.match(method, path);
  const request = { method, path, query: url.searchParams, headers: req.headers };
  if (isAdminPath(path)) {
    if (!adminTokenMatches(req.headers[ADMIN_TOKEN_HEADER], adminToken)) {
      reply(errorReply(errors.adminToken(ADMIN_TOKEN_HEADER), ctx.log));
      return;
    }
    const body = await bodyOf(req, res, MAX_BODY_BYTES);
    if (!body) return;
    if (body.tooLarge) {
      reply(errorReply(errors.tooLarge(MAX_BODY_BYTES), ctx.log));
      return;
    }
    const route = found?.route?.surface === "admin" ? found.route : undefined;
    const r = { ...request, rawBody: body.body, now: ctx.clock(), params: found?.params ?? {} };
    reply(await handleAdmin(ctx, route, r).catch((e: unknown) => errorReply(e, ctx.log)));
    return;
  }
  const surface = found?.onPath[0].surface === "identity" ? "identity" : "arm";
  const entry: RequestLogEntry = {
    kind: surface,
    method,
    path,
    query: url.search,
    status: 0,
    time: new Date(started).toISOString(),
    durationMs: 0,
    userAgent: req.headers["user-agent"] ?? "",
  };
  ctx.recordRequest(entry);
  const answer = (r: Reply) => {
    // ARM's Date header is the service's clock (the provider times builds by it): the emulator's, admin-advanced.
    r.headers = { "x-ms-request-id": crypto.randomUUID(), Date: new Date(ctx.clock()).toUTCString(), ...r.headers };
    entry.status = r.status;
    entry.durationMs = Date.now() - started;
    reply(r);
  };
  const fault = ctx.faults.take(method, path);
  // The fault's entry says who acts on it: this front door (below), or the handler of the request.
  const handlerFault = fault && FAULTS[fault.kind].actsIn === "handler" ? fault : undefined;
  if (fault?.kind === "drop") {
    entry.durationMs = Date.now() - started;
    res.socket?.destroy();
    return;
  }
  if (fault?.kind === "slow") await delay(fault.delayMs ?? 1000);
  if (fault?.kind === "throttle") return answer(errorReply(errors.throttled(fault.retryAfterSeconds ?? 1), ctx.log));
  if (fault?.kind === "error") return answer(errorReply(errors.transient(fault.status ?? 500), ctx.log));
  try {
    // The token endpoint's callers prove who they are in the body: only a small one is read.
    const identity = found?.route?.surface === "identity" ? found.route : undefined;
    const gate = identity ? undefined : await armGate(ctx, found, request);
    const limit = identity ? MAX_UNAUTHENTICATED_BODY_BYTES : MAX_BODY_BYTES;
    const body = await bodyOf(req, res, limit);
    if (!body) return;
    if (body.tooLarge) return answer(errorReply(errors.tooLarge(limit), ctx.log));
    // One clock reading for the log and the answer (taken after a slow fault's delay): a run the answer shows ended
    // has all its lines written.
    const r = { ...request, rawBody: body.body, now: ctx.clock() };
    if (identity) return answer(await identity.handler(ctx, { ...r, params: found!.params, fault: handlerFault }));
    answer(await armReply(ctx, gate!, { ...r, fault: handlerFault }));
  } catch (e) {
    answer(errorReply(e, ctx.log));
  }
}

export function createServer(
  ctx: EmulatorContext,
  tls: { cert: string; key: string },
  adminToken: string,
  limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS,
): https.Server {
  // noDelay: small ARM responses must not wait for Nagle's algorithm (it capped throughput at ~40 ms/request).
  const server = https.createServer(
    { cert: tls.cert, key: tls.key, noDelay: true, ...connectionOptions(limits) },
    (req, res) => {
      handleRequest(ctx, req, res, adminToken).catch((e: unknown) => {
        ctx.log(`request failed: ${String(e)}`);
        res.destroy();
      });
    },
  );
  applyConnectionLimits(server, limits);
  return server;
}
