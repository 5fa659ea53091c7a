/** Turns SDK errors into messages that say what failed and what to do next. */

export interface ServiceError {
  status?: number;
  code?: string;
  message: string;
}

export function serviceError(e: unknown): ServiceError {
  if (typeof e === "object" && e !== null) {
    const err = e as { statusCode?: number; code?: string; message?: string; details?: { error?: ServiceError } };
    const inner = err.details?.error;
    return {
      status: err.statusCode,
      code: inner?.code ?? (typeof err.code === "string" ? err.code : undefined),
      message: inner?.message ?? err.message ?? String(e),
    };
  }
  return { message: String(e) };
}

export const isNotFound = (e: unknown): boolean => serviceError(e).status === 404;

const ADVICE: Record<string, string> = {
  AuthenticationFailed:
    "Check the credentials: AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET (or ARM_*), a managed identity, or `az login`.",
  InvalidAuthenticationToken:
    "Check the credentials: AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET (or ARM_*), a managed identity, or `az login`.",
  AuthorizationFailed:
    "Grant the deploying identity a role that allows Microsoft.VirtualMachineImages/imageTemplates/* on the resource group.",
  ResourceGroupNotFound: "Create the resource group first (and make the template depend on it).",
  SubscriptionNotFound: "Check subscriptionId / AZURE_SUBSCRIPTION_ID.",
  OperationNotAllowed:
    "The template is busy (for example a build is running or it is still being created). Wait for it or cancel the build, then retry.",
  Conflict:
    "A template of that name exists or is busy. To manage an existing template set adoptExisting: true, or choose another imageTemplateName.",
  TooManyRequests: "Azure throttled the request; retry in a few minutes.",
};

/** The resource providers Image Builder needs registered on the subscription (Microsoft's prerequisites). */
export const IMAGE_BUILDER_NAMESPACES = [
  "Microsoft.VirtualMachineImages",
  "Microsoft.Compute",
  "Microsoft.Storage",
  "Microsoft.Network",
  "Microsoft.KeyVault",
  "Microsoft.ContainerInstance",
];

const REGISTER_ADVICE = `Register the resource providers Image Builder needs on the subscription (once; needs rights to register): ${IMAGE_BUILDER_NAMESPACES.map((n) => `az provider register --namespace ${n}`).join(" && ")}`;

/** Who, what and where from ARM's authorization text ("The client 'x' with object id 'y' ... action 'a' over scope 's'"). */
function authorizationParts(message: string) {
  return {
    objectId: /object id '([^']+)'/.exec(message)?.[1],
    action: /action '([^']+)'/.exec(message)?.[1],
    scope: /scope '([^']+)'/.exec(message)?.[1],
  };
}

/** The resource group an ARM id lies in, or the id itself when it names none (a subscription). */
const resourceGroupScope = (scope: string) =>
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+/i.exec(scope)?.[0] ?? scope;

function authorizationAdvice(message: string): string {
  const { objectId, action, scope } = authorizationParts(message);
  if (!action || !scope) return ADVICE.AuthorizationFailed;
  const assignee = objectId ?? "<deploying identity's object id>";
  // The scope ARM names is often the template itself, which a create has not made yet: a role assignment there
  // fails, so the advice assigns at its resource group.
  return `The deploying identity${objectId ? ` (object id ${objectId})` : ""} lacks a role allowing ${action} on ${scope}: grant one on its resource group, e.g. az role assignment create --assignee ${assignee} --role Contributor --scope ${resourceGroupScope(scope)}`;
}

/**
 * A build that failed because the template's identity lacks rights (on the source, the staging resource group or a
 * distribution target): the advice names the identity, and the action and scope when the service's text has them.
 */
export function identityRightsAdvice(buildMessage: string, identityId: string | undefined): string | undefined {
  if (!/AuthorizationFailed|does not have authorization|not authorized|Forbidden/i.test(buildMessage)) return undefined;
  const { action, scope } = authorizationParts(buildMessage);
  const who = identityId ? `the template's identity ${identityId}` : "the template's user-assigned identity";
  const what = action && scope ? `a role allowing ${action} on ${scope}` : "its roles";
  return `Grant ${who} ${what} (Image Builder's identity needs read on the source image, Contributor on the staging resource group and write on each distribution target), e.g. az role assignment create --assignee-object-id $(az identity show --ids ${identityId ?? "<identity id>"} --query principalId -o tsv) --role Contributor --scope ${scope ? resourceGroupScope(scope) : "<resource group id>"}; then run pulumi up again.`;
}

/**
 * A provisioning the service failed because the template's identity may not read a resource the template names (its
 * text: "Not authorized to access the resource: <id>. Please check the user assigned identity has the correct
 * permissions…"): which identity needs which role on what. Reader is the built-in role that grants read.
 */
export function provisioningRightsAdvice(message: string, identityId: string | undefined): string | undefined {
  const resource = /Not authorized to access the resource: (\S+?)\.? Please check/.exec(message)?.[1];
  if (!resource) return undefined;
  const who = identityId ? `the template's identity ${identityId}` : "the template's user-assigned identity";
  return `grant ${who} read on ${resource} (the Reader role), e.g. az role assignment create --assignee-object-id $(az identity show --ids ${identityId ?? "<identity id>"} --query principalId -o tsv) --role Reader --scope ${resource}; then run pulumi up again.`;
}

/** "<what> failed: <code> (HTTP <status>): <message> <advice>" */
export function describeFailure(what: string, e: unknown): Error {
  const { status, code, message } = serviceError(e);
  // @azure/identity errors (AggregateAuthenticationError, CredentialUnavailableError, AuthenticationError).
  if (/Authentication|CredentialUnavailable/.test((e as { name?: string })?.name ?? "")) {
    return new Error(`${what} failed: could not get an Azure token: ${message} ${ADVICE.AuthenticationFailed}`);
  }
  const head = [code, status ? `HTTP ${status}` : undefined].filter(Boolean).join(", ");
  const advice =
    code === "MissingSubscriptionRegistration"
      ? REGISTER_ADVICE
      : code === "AuthorizationFailed" || (status === 403 && !code)
        ? authorizationAdvice(message)
        : (code && ADVICE[code]) || (status === 401 ? ADVICE.AuthenticationFailed : "");
  return new Error(`${what} failed${head ? ` (${head})` : ""}: ${message}${advice ? ` ${advice}` : ""}`, { cause: e });
}

/**
 * A static OIDC token (ARM_OIDC_TOKEN, what Pulumi ESC's azure-login provides) past its expiry: unlike a token
 * request URL, a token file, a managed identity, a certificate or a secret, it cannot be renewed, only replaced.
 */
export class StaticTokenExpiredError extends Error {
  constructor(token: string | undefined) {
    const exp = expiryOf(token);
    super(
      `the OIDC token in ARM_OIDC_TOKEN (azure-native:oidcToken) expired${exp ? ` at ${exp}` : ""}, and a static token cannot be renewed`,
    );
    this.name = "StaticTokenExpiredError";
  }
}

/** The `exp` of a JWT, ISO 8601 (read, not verified: it only says when). */
function expiryOf(token: string | undefined): string | undefined {
  try {
    const { exp } = JSON.parse(Buffer.from(String(token).split(".")[1], "base64url").toString("utf8"));
    return typeof exp === "number" ? new Date(exp * 1000).toISOString() : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a token endpoint refused an assertion for its time range (Entra ID's AADSTS700024). */
export const isExpiredAssertion = (e: unknown): boolean =>
  /AADSTS700024/.test(
    `${(e as { errorResponse?: { errorDescription?: string } })?.errorResponse?.errorDescription ?? ""} ${(e as Error)?.message ?? ""}`,
  );

/** The StaticTokenExpiredError behind `e` (itself, or along its causes). */
export function expiredStaticToken(e: unknown): StaticTokenExpiredError | undefined {
  for (let c = e; c instanceof Error; c = c.cause) if (c instanceof StaticTokenExpiredError) return c;
  return undefined;
}

/** One line of an @azure/identity error: without its troubleshooting link and MSAL's empty placeholders. */
function tokenErrorCause(e: { message?: string }): string {
  return (
    String(e.message ?? e)
      .replace(/\s*To troubleshoot, visit \S+\.?/g, "")
      .replace(/\[object Object\]:\s*/g, "")
      // MSAL's rendering of a token endpoint error: keep the error and its description.
      .replace(/Error\(s\): [\d, ]+ - |(Timestamp|Correlation ID|Trace ID): \S+( - )?|Description: /g, "")
      .replace(/^\w+Credential authentication failed\.\s*/, "")
      .replace(/\s*\n+\s*/g, " ")
      .replace(/[\s,]*(undefined)?$/, "")
  );
}

/** What explainTokenFailure needs of a credential source (client.ts's CredentialSource). */
export interface TokenSource {
  label: string;
  credential?: unknown;
  missing?: string;
}

/** The reason an @azure/identity error gives: the service's own error description when it answered. */
function causeOf(e: unknown): string {
  const { AuthenticationError } = require("@azure/identity") as typeof import("@azure/identity");
  if (e instanceof AuthenticationError && e.errorResponse?.errorDescription) {
    return `${e.errorResponse.error}: ${e.errorResponse.errorDescription}`.replace(/\s*\n+\s*/g, " ");
  }
  return tokenErrorCause(e as { message?: string });
}

/**
 * Turns a failed credential chain into an error naming every source in order: the ones that failed (and why), the
 * ones that were not configured, and the ones never reached because an earlier, configured one failed. `failures`
 * pairs each error a source threw with that source's index; its type says whether the source was unavailable
 * (CredentialUnavailableError) or failed. Keeps the name `AuthenticationError` so describeFailure
 * reports it as a token problem.
 */
export function explainTokenFailure(
  sources: readonly TokenSource[],
  failures: readonly [error: unknown, source: number][],
  authorityHost: string,
): Error {
  const { CredentialUnavailableError } = require("@azure/identity") as typeof import("@azure/identity");
  const causes = new Map<number, string>();
  for (const [f, index] of failures) {
    const unavailable = f instanceof CredentialUnavailableError;
    causes.set(index, `${unavailable ? "unavailable" : "failed"}: ${causeOf(f)}`);
  }
  const line = (source: TokenSource, i: number) => {
    const state = source.credential
      ? (causes.get(i) ?? "not tried: an earlier source you configured failed")
      : `not configured: ${source.missing}`;
    return `  ${i + 1}. ${source.label}: ${state}`;
  };
  const message = `authority ${authorityHost}; credential sources, in the order they are tried:\n${sources.map(line).join("\n")}\n`;
  return Object.assign(new Error(message), { name: "AuthenticationError" });
}
