import * as https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import type { EmulatorCore, RequestLogEntry } from "./core";
import { API_VERSION, ArmError, errors } from "./errors";
import type { FaultRule } from "./faults";
import { readBody, send, type ArmRequest, type Reply } from "./http";
import { compile, match, type Route } from "./routing";
import { handleAdmin } from "./handlers/admin";
import { checkRegistered, hasRights } from "./subscription-setup";
import * as templates from "./handlers/image-templates";
import { getOperationStatus } from "./handlers/operation-status";
import { listOperations } from "./handlers/operations";
import { getRunOutput, listRunOutputs } from "./handlers/run-outputs";
import { listStorageAccounts, STORAGE_API_VERSION } from "./handlers/storage-accounts";
import { deleteTrigger, getTrigger, listTriggers, putTrigger } from "./handlers/triggers";
import { managedIdentityToken, oidcTokenRequest, openIdConfiguration, signingKeys, token } from "./handlers/identity";
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

const NS = "/providers/Microsoft.VirtualMachineImages";
const RG = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}";
const TEMPLATE = `${RG}${NS}/imageTemplates/{imageTemplateName}`;
const A = "Microsoft.VirtualMachineImages/imageTemplates";

/** The ARM surface: exactly the spec's `paths`, plus the operation-status monitor LRO headers point to. */
const ROUTES: Route[] = [
  {
    template: `${NS}/operations`,
    methods: { GET: { handler: listOperations, action: "Microsoft.VirtualMachineImages/operations/read" } },
  },
  {
    template: `/subscriptions/{subscriptionId}${NS}/imageTemplates`,
    methods: { GET: { handler: templates.listTemplates, action: `${A}/read` } },
  },
  {
    template: `/subscriptions/{subscriptionId}${NS}/locations/{location}/operations/{operationId}`,
    methods: {
      GET: { handler: getOperationStatus, action: "Microsoft.VirtualMachineImages/locations/operations/read" },
    },
  },
  {
    template: `${RG}${NS}/imageTemplates`,
    methods: { GET: { handler: templates.listTemplates, action: `${A}/read` } },
  },
  {
    template: TEMPLATE,
    methods: {
      GET: { handler: templates.getTemplate, action: `${A}/read` },
      PUT: { handler: templates.putTemplate, action: `${A}/write` },
      PATCH: { handler: templates.patchTemplate, action: `${A}/write` },
      DELETE: { handler: templates.deleteTemplate, action: `${A}/delete` },
    },
  },
  { template: `${TEMPLATE}/run`, methods: { POST: { handler: templates.runTemplate, action: `${A}/run/action` } } },
  {
    template: `${TEMPLATE}/cancel`,
    methods: { POST: { handler: templates.cancelTemplate, action: `${A}/cancel/action` } },
  },
  { template: `${TEMPLATE}/runOutputs`, methods: { GET: { handler: listRunOutputs, action: `${A}/runOutputs/read` } } },
  {
    template: `${TEMPLATE}/runOutputs/{runOutputName}`,
    methods: { GET: { handler: getRunOutput, action: `${A}/runOutputs/read` } },
  },
  { template: `${TEMPLATE}/triggers`, methods: { GET: { handler: listTriggers, action: `${A}/triggers/read` } } },
  {
    template: `${TEMPLATE}/triggers/{triggerName}`,
    methods: {
      GET: { handler: getTrigger, action: `${A}/triggers/read` },
      PUT: { handler: putTrigger, action: `${A}/triggers/write` },
      DELETE: { handler: deleteTrigger, action: `${A}/triggers/delete` },
    },
  },
  {
    template: `${RG}/providers/Microsoft.Storage/storageAccounts`,
    methods: { GET: { handler: listStorageAccounts, action: "Microsoft.Storage/storageAccounts/read" } },
    apiVersion: STORAGE_API_VERSION,
  },
];
const COMPILED = ROUTES.map(compile);

/** Where the GitHub-Actions-style OIDC token request and the App Service style managed identity endpoint live. */
export const OIDC_REQUEST_PATH = "/oidc/token";
export const MANAGED_IDENTITY_PATH = "/msi/token";

const IDENTITY = {
  discovery: /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/i,
  token: /^\/([^/]+)\/oauth2\/v2\.0\/token$/i,
  keys: /^\/([^/]+)\/discovery\/v2\.0\/keys$/i,
  oidcRequest: new RegExp(`^${OIDC_REQUEST_PATH}$`),
  managedIdentity: new RegExp(`^${MANAGED_IDENTITY_PATH}$`),
};
const isIdentityPath = (path: string) => Object.values(IDENTITY).some((r) => r.test(path));

/**
 * Before answering about a template (or its run's operation) whose build has ended, its build log gets every line
 * due: a client that sees the build ended finds the whole log. While the build runs the writer's timer appends, so
 * status reads do not wait for the blob service. Writing the log never fails the ARM request.
 */
async function syncBuildLog(emu: EmulatorCore, params: Record<string, string>, now: number): Promise<void> {
  const key = params.imageTemplateName
    ? emu.templateKeyFromParams(params)
    : params.operationId
      ? emu.state.operations[params.operationId]?.resourceKey
      : undefined;
  const t = key ? emu.state.templates[key] : undefined;
  if (t && !emu.isBuilding(t, now)) await emu.buildLogs.sync(t, now);
}

function errorReply(e: unknown, log: (m: string) => void): Reply {
  if (e instanceof ArmError) return { status: e.status, body: e.body(), headers: e.headers };
  log(`internal error: ${(e as Error).stack ?? String(e)}`);
  return { status: 500, body: errors.transient(500).body() };
}

async function armReply(
  emu: EmulatorCore,
  req: IncomingMessage,
  path: string,
  url: URL,
  rawBody: Buffer,
  fault: ArmRequest["fault"],
): Promise<Reply> {
  const method = req.method ?? "GET";
  const found = match(COMPILED, path);
  if (!found)
    throw path.toLowerCase().includes("/providers/microsoft.virtualmachineimages")
      ? errors.invalidResourceType(path)
      : errors.notFound(path);
  const caller = await emu.auth.verify(req.headers.authorization);
  if (found.malformed) throw limitErrors.malformedEncoding();
  const rg = found.params.resourceGroupName;
  if (rg !== undefined && !RESOURCE_GROUP_NAME.test(rg)) throw limitErrors.resourceGroupName(rg);
  const apiVersion = url.searchParams.get("api-version");
  if (apiVersion === null) throw errors.missingApiVersion();
  if (apiVersion !== (found.route.apiVersion ?? API_VERSION)) throw errors.invalidApiVersion(apiVersion);
  const entry = found.route.methods[method];
  if (!entry) throw errors.methodNotAllowed(method);
  const sub = found.params.subscriptionId;
  const granted = (s: string) => s.toLowerCase() === sub?.toLowerCase() && hasRights(emu, s);
  if (sub !== undefined && !caller.subscriptionIds.some(granted)) {
    throw errors.authorizationFailed(
      caller.clientId,
      caller.objectId,
      entry.action,
      path.replace(/\/(run|cancel)$/i, ""),
    );
  }
  checkRegistered(emu, sub);
  // One clock reading for the log and the answer: a run the answer shows ended has all its lines written.
  const now = Date.now();
  await syncBuildLog(emu, found.params, now);
  return entry.handler(emu, {
    method,
    path,
    query: url.searchParams,
    params: found.params,
    rawBody,
    caller,
    now,
    fault,
  });
}

async function identityReply(
  emu: EmulatorCore,
  req: IncomingMessage,
  url: URL,
  rawBody: Buffer,
  fault: FaultRule | undefined,
): Promise<Reply | undefined> {
  const method = req.method ?? "GET";
  const path = url.pathname;
  if (method === "GET" && IDENTITY.oidcRequest.test(path)) return oidcTokenRequest(emu, req.headers.authorization);
  if (method === "GET" && IDENTITY.managedIdentity.test(path)) {
    return managedIdentityToken(emu, req.headers["x-identity-header"], url.searchParams);
  }
  let m = IDENTITY.discovery.exec(path);
  if (m && method === "GET") return openIdConfiguration(emu, m[1]);
  m = IDENTITY.keys.exec(path);
  if (m && method === "GET") return signingKeys(emu, m[1]);
  m = IDENTITY.token.exec(path);
  if (m && method === "POST") return token(emu, m[1], rawBody, fault);
  return undefined;
}

export async function handleRequest(
  emu: EmulatorCore,
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
  const rawBody = body.body;
  // Before routing: URL parsing resolved `..`, so the raw path is what tells `/x/../../_emulator` apart.
  if (hasDotSegment(rawPathOf(req.url))) {
    send(res, errorReply(limitErrors.dotSegment(), emu.log));
    return;
  }
  if (path.startsWith("/_emulator/")) {
    const reply = adminTokenMatches(req.headers[ADMIN_TOKEN_HEADER], adminToken)
      ? await handleAdmin(emu, method, path, rawBody).catch((e: unknown) => errorReply(e, emu.log))
      : errorReply(limitErrors.adminToken(), emu.log);
    send(res, reply);
    return;
  }
  const entry: RequestLogEntry = {
    kind: isIdentityPath(path) ? "identity" : "arm",
    method,
    path,
    query: url.search,
    status: 0,
    time: new Date(started).toISOString(),
    durationMs: 0,
  };
  emu.recordRequest(entry);
  if (body.tooLarge) {
    entry.status = 413;
    entry.durationMs = Date.now() - started;
    send(res, errorReply(limitErrors.tooLarge(), emu.log));
    return;
  }
  const fault = emu.faults.take(method, path);
  if (fault?.kind === "drop") {
    entry.durationMs = Date.now() - started;
    res.socket?.destroy();
    return;
  }
  if (fault?.kind === "slow") await delay(fault.delayMs ?? 1000);
  let reply: Reply;
  if (fault?.kind === "throttle") reply = errorReply(errors.throttled(fault.retryAfterSeconds ?? 1), emu.log);
  else if (fault?.kind === "error") reply = errorReply(errors.transient(fault.status ?? 500), emu.log);
  else {
    try {
      reply =
        (entry.kind === "identity" ? await identityReply(emu, req, url, rawBody, fault) : undefined) ??
        (await armReply(
          emu,
          req,
          path,
          url,
          rawBody,
          fault?.kind === "failBuild" || fault?.kind === "failProvisioning" ? fault : undefined,
        ));
    } catch (e) {
      reply = errorReply(e, emu.log);
    }
  }
  reply.headers = { "x-ms-request-id": crypto.randomUUID(), ...reply.headers };
  entry.status = reply.status;
  entry.durationMs = Date.now() - started;
  send(res, reply);
}

export function createServer(
  emu: EmulatorCore,
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
      handleRequest(emu, req, res, adminToken).catch((e: unknown) => {
        emu.log(`request failed: ${String(e)}`);
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
