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

/** "<what> failed: <code> (HTTP <status>): <message> <advice>" */
export function describeFailure(what: string, e: unknown): Error {
  const { status, code, message } = serviceError(e);
  // @azure/identity errors (AggregateAuthenticationError, CredentialUnavailableError, AuthenticationError).
  if (/Authentication|CredentialUnavailable/.test((e as { name?: string })?.name ?? "")) {
    return new Error(`${what} failed: could not get an Azure token: ${message} ${ADVICE.AuthenticationFailed}`);
  }
  const head = [code, status ? `HTTP ${status}` : undefined].filter(Boolean).join(", ");
  const advice =
    (code && ADVICE[code]) ||
    (status === 401 ? ADVICE.AuthenticationFailed : status === 403 ? ADVICE.AuthorizationFailed : "");
  return new Error(`${what} failed${head ? ` (${head})` : ""}: ${message}${advice ? ` ${advice}` : ""}`);
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
