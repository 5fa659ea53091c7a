import * as https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import type { EmulatorContext, RequestLogEntry } from "./context";
import { API_VERSION, ArmError, errors } from "./errors";
import { readBody, send, type Reply, type RoutedRequest } from "./http";
import type { Matched } from "./router";
import { handleAdmin } from "./handlers/admin";
import { templateKeyOf } from "./handlers/common";
import { isBuilding } from "./model";
import { checkRegistered, hasRights } from "./subscription-setup";
import {
  ADMIN_TOKEN_HEADER,
  adminTokenMatches,
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  hasDotSegment,
  limitErrors,
  rawPathOf,
  RESOURCE_GROUP_NAME,
} from "./limits";
import { isAdminPath, router, type Route } from "./routes";
import type { FaultKind } from "./faults";

/** Faults the ARM handlers carry out (the rest are answered here, before any handler runs). */
const HANDLER_FAULTS = new Set<FaultKind>(["failBuild", "partialBuild", "failProvisioning"]);

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

/** The ARM front door's checks, in its order, then the route's handler. */
async function armReply(
  ctx: EmulatorContext,
  found: Matched<Route> | undefined,
  r: Omit<RoutedRequest, "params">,
): Promise<Reply> {
  const path = r.path;
  const onPath = found?.onPath[0].surface === "arm" ? found.onPath[0] : undefined;
  if (!found || !onPath)
    throw path.toLowerCase().includes("/providers/microsoft.virtualmachineimages")
      ? errors.invalidResourceType(path)
      : errors.notFound(path);
  const caller = await ctx.auth.verify(r.headers.authorization);
  if (found.malformed) throw limitErrors.malformedEncoding();
  const rg = found.params.resourceGroupName;
  if (rg !== undefined && !RESOURCE_GROUP_NAME.test(rg)) throw limitErrors.resourceGroupName(rg);
  const apiVersion = r.query.get("api-version");
  if (apiVersion === null) throw errors.missingApiVersion();
  if (apiVersion !== (onPath.apiVersion ?? API_VERSION)) throw errors.invalidApiVersion(apiVersion);
  const route = found.route;
  if (route?.surface !== "arm") throw errors.methodNotAllowed(r.method);
  const sub = found.params.subscriptionId;
  const granted = (s: string) => s.toLowerCase() === sub?.toLowerCase() && hasRights(ctx, s);
  if (sub !== undefined && !caller.subscriptionIds.some(granted)) {
    throw errors.authorizationFailed(
      caller.clientId,
      caller.objectId,
      route.action,
      path.replace(/\/(run|cancel)$/i, ""),
    );
  }
  checkRegistered(ctx, sub);
  await syncBuildLog(ctx, found.params, r.now);
  return route.handler(ctx, { ...r, params: found.params, caller });
}

async function adminReply(
  ctx: EmulatorContext,
  found: Matched<Route> | undefined,
  r: Omit<RoutedRequest, "params">,
  adminToken: string,
): Promise<Reply> {
  if (!adminTokenMatches(r.headers[ADMIN_TOKEN_HEADER], adminToken)) throw limitErrors.adminToken();
  const route = found?.route?.surface === "admin" ? found.route : undefined;
  return handleAdmin(ctx, route, { ...r, params: found?.params ?? {} });
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
  let body: { body: Buffer; tooLarge: boolean };
  try {
    body = await readBody(req);
  } catch {
    res.destroy();
    return;
  }
  // Before routing: URL parsing resolved `..`, so the raw path is what tells `/x/../../_emulator` apart.
  if (hasDotSegment(rawPathOf(req.url))) {
    send(res, errorReply(limitErrors.dotSegment(), ctx.log));
    return;
  }
  const found = router.match(method, path);
  const request = { method, path, query: url.searchParams, headers: req.headers, rawBody: body.body };
  // One clock reading for the log and the answer (taken after a slow fault's delay): a run the answer shows ended
  // has all its lines written.
  const at = () => ({ ...request, now: ctx.clock() });
  if (isAdminPath(path)) {
    send(res, await adminReply(ctx, found, at(), adminToken).catch((e: unknown) => errorReply(e, ctx.log)));
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
  };
  ctx.recordRequest(entry);
  if (body.tooLarge) {
    entry.status = 413;
    entry.durationMs = Date.now() - started;
    send(res, errorReply(limitErrors.tooLarge(), ctx.log));
    return;
  }
  const fault = ctx.faults.take(method, path);
  if (fault?.kind === "drop") {
    entry.durationMs = Date.now() - started;
    res.socket?.destroy();
    return;
  }
  if (fault?.kind === "slow") await delay(fault.delayMs ?? 1000);
  let reply: Reply;
  if (fault?.kind === "throttle") reply = errorReply(errors.throttled(fault.retryAfterSeconds ?? 1), ctx.log);
  else if (fault?.kind === "error") reply = errorReply(errors.transient(fault.status ?? 500), ctx.log);
  else {
    try {
      reply =
        found?.route?.surface === "identity"
          ? await found.route.handler(ctx, { ...at(), params: found.params, fault })
          : await armReply(ctx, found, {
              ...at(),
              fault: fault && HANDLER_FAULTS.has(fault.kind) ? fault : undefined,
            });
    } catch (e) {
      reply = errorReply(e, ctx.log);
    }
  }
  // ARM's Date header is the service's clock (the provider times builds by it): the emulator's, admin-advanced.
  reply.headers = {
    "x-ms-request-id": crypto.randomUUID(),
    Date: new Date(ctx.clock()).toUTCString(),
    ...reply.headers,
  };
  entry.status = reply.status;
  entry.durationMs = Date.now() - started;
  send(res, reply);
}

export function createServer(
  ctx: EmulatorContext,
  tls: { cert: string; key: string },
  adminToken: string,
  limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS,
): https.Server {
  // noDelay: small ARM responses must not wait for Nagle's algorithm (it capped throughput at ~40 ms/request).
  const server = https.createServer(
    {
      cert: tls.cert,
      key: tls.key,
      noDelay: true,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      handshakeTimeout: limits.headersTimeoutMs,
    },
    (req, res) => {
      handleRequest(ctx, req, res, adminToken).catch((e: unknown) => {
        ctx.log(`request failed: ${String(e)}`);
        res.destroy();
      });
    },
  );
  // A connection that never sends a request is closed too (the keep-alive timeout starts only after a response).
  server.setTimeout(limits.idleTimeoutMs, (socket) => socket.destroy());
  server.maxConnections = limits.maxConnections;
  server.on("secureConnection", (socket) => socket.setNoDelay(true));
  return server;
}
