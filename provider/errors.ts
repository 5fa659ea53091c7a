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
