import type { EmulatorContext } from "./context";
import type { AdminRequest, ArmRequest, Reply, RoutedRequest } from "./http";
import * as admin from "./handlers/admin";
import { managedIdentityToken, oidcTokenRequest, openIdConfiguration, signingKeys, token } from "./handlers/identity";
import * as templates from "./handlers/image-templates";
import { getOperationStatus } from "./handlers/operation-status";
import { listOperationsCatalogue } from "./handlers/operations-catalogue";
import { getRunOutput, listRunOutputs } from "./handlers/run-outputs";
import { listStorageAccounts, STORAGE_API_VERSION } from "./handlers/storage-accounts";
import { deleteTrigger, getTrigger, listTriggers, putTrigger } from "./handlers/triggers";
import { PROVIDER } from "./service";
import { imageTemplateId, operationResourceId, resourceId, scopeId } from "./resource-ids";
import { Router } from "./router";

type Answer<Q> = (ctx: EmulatorContext, r: Q) => Reply | Promise<Reply>;

/** ARM routes carry the RBAC action named in 403s; a path's routes share one api-version. */
export interface ArmRoute {
  surface: "arm";
  method: string;
  path: string;
  action: string;
  /** The api-version the path answers, when not Image Builder's. */
  apiVersion?: string;
  handler: Answer<ArmRequest>;
}
/** Entra ID and the workload-identity endpoints: no ARM token, their own error shapes. */
export interface IdentityRoute {
  surface: "identity";
  method: string;
  path: string;
  handler: Answer<RoutedRequest>;
}
/** The admin API: the admin token instead of an ARM token, never logged, never faulted. */
export interface AdminRoute {
  surface: "admin";
  method: string;
  path: string;
  handler: Answer<AdminRequest>;
}
export type Route = ArmRoute | IdentityRoute | AdminRoute;

/** Where the GitHub-Actions-style OIDC token request and the App Service style managed identity endpoint live. */
export const OIDC_REQUEST_PATH = "/oidc/token";
export const MANAGED_IDENTITY_PATH = "/msi/token";
/** Every path under it is the admin API's (an unknown one too: it needs the admin token and is not logged). */
export const ADMIN_PREFIX = "/_emulator/";
export const isAdminPath = (path: string) => path.toLowerCase().startsWith(ADMIN_PREFIX);

const SUBSCRIPTION = scopeId("{subscriptionId}");
const RG = scopeId("{subscriptionId}", "{resourceGroupName}");
const TEMPLATE = imageTemplateId("{subscriptionId}", "{resourceGroupName}", "{imageTemplateName}");
const A = `${PROVIDER}/imageTemplates`;

const arm = (method: string, path: string, action: string, handler: Answer<ArmRequest>, apiVersion?: string) =>
  ({ surface: "arm", method, path, action, handler, ...(apiVersion ? { apiVersion } : {}) }) as const;
const identity = (method: string, path: string, handler: Answer<RoutedRequest>) =>
  ({ surface: "identity", method, path, handler }) as const;
const adminRoute = (method: string, path: string, handler: Answer<AdminRequest>) =>
  ({ surface: "admin", method, path: `${ADMIN_PREFIX}${path}`, handler }) as const;

/**
 * Every route the emulator answers. ARM: exactly the spec's `paths`, plus the operation-status monitor LRO headers
 * point to and the staging storage accounts list. Then the identity endpoints and the admin API (emulator/README.md).
 */
export const ROUTES: readonly Route[] = [
  arm("GET", `/providers/${PROVIDER}/operations`, `${PROVIDER}/operations/read`, listOperationsCatalogue),
  arm("GET", resourceId(SUBSCRIPTION, PROVIDER, "imageTemplates"), `${A}/read`, templates.listTemplates),
  arm(
    "GET",
    operationResourceId("{subscriptionId}", "{location}", "{operationId}"),
    `${PROVIDER}/locations/operations/read`,
    getOperationStatus,
  ),
  arm("GET", resourceId(RG, PROVIDER, "imageTemplates"), `${A}/read`, templates.listTemplates),
  arm("GET", TEMPLATE, `${A}/read`, templates.getTemplate),
  arm("PUT", TEMPLATE, `${A}/write`, templates.putTemplate),
  arm("PATCH", TEMPLATE, `${A}/write`, templates.patchTemplate),
  arm("DELETE", TEMPLATE, `${A}/delete`, templates.deleteTemplate),
  arm("POST", `${TEMPLATE}/run`, `${A}/run/action`, templates.runTemplate),
  arm("POST", `${TEMPLATE}/cancel`, `${A}/cancel/action`, templates.cancelTemplate),
  arm("GET", `${TEMPLATE}/runOutputs`, `${A}/runOutputs/read`, listRunOutputs),
  arm("GET", `${TEMPLATE}/runOutputs/{runOutputName}`, `${A}/runOutputs/read`, getRunOutput),
  arm("GET", `${TEMPLATE}/triggers`, `${A}/triggers/read`, listTriggers),
  arm("GET", `${TEMPLATE}/triggers/{triggerName}`, `${A}/triggers/read`, getTrigger),
  arm("PUT", `${TEMPLATE}/triggers/{triggerName}`, `${A}/triggers/write`, putTrigger),
  arm("DELETE", `${TEMPLATE}/triggers/{triggerName}`, `${A}/triggers/delete`, deleteTrigger),
  arm(
    "GET",
    resourceId(RG, "Microsoft.Storage", "storageAccounts"),
    "Microsoft.Storage/storageAccounts/read",
    listStorageAccounts,
    STORAGE_API_VERSION,
  ),

  // MSAL first GETs the discovery document, then POSTs the client-credentials form to its token endpoint.
  identity("GET", "/{tenant}/v2.0/.well-known/openid-configuration", (ctx, r) =>
    openIdConfiguration(ctx, r.params.tenant),
  ),
  identity("GET", "/{tenant}/discovery/v2.0/keys", (ctx, r) => signingKeys(ctx, r.params.tenant)),
  identity("POST", "/{tenant}/oauth2/v2.0/token", (ctx, r) => token(ctx, r.params.tenant, r.rawBody, r.fault)),
  identity("GET", OIDC_REQUEST_PATH, (ctx, r) => oidcTokenRequest(ctx, r.headers.authorization, r.query)),
  identity("GET", MANAGED_IDENTITY_PATH, (ctx, r) =>
    managedIdentityToken(ctx, r.headers["x-identity-header"], r.query),
  ),

  adminRoute("POST", "reset", admin.reset),
  adminRoute("GET", "state", admin.state),
  adminRoute("GET", "requests", admin.requests),
  adminRoute("DELETE", "requests", admin.clearRequests),
  adminRoute("GET", "faults", admin.faults),
  adminRoute("POST", "faults", admin.addFault),
  adminRoute("DELETE", "faults", admin.clearFaults),
  adminRoute("PUT", "registrations", admin.registration),
  adminRoute("PUT", "rights", admin.rights),
  adminRoute("PUT", "identity-access", admin.identityAccess),
  adminRoute("GET", "timing", admin.timing),
  adminRoute("PATCH", "timing", admin.setTiming),
  adminRoute("POST", "clock", admin.advanceClock),
  adminRoute("POST", "token", admin.issueToken),
  adminRoute("PUT", "files", admin.registerFile),
  adminRoute("PUT", "resources/{*resourceId}", admin.putResource),
  adminRoute("DELETE", "resources/{*resourceId}", admin.deleteResource),
];

export const router = new Router<Route>(ROUTES);
