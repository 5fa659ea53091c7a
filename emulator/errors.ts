/**
 * Error factory: every error the emulator returns is built here so codes and texts stay in one place.
 * Texts follow the service and ARM front door as seen in real payloads users have published (e.g. the 409 Conflict
 * "Update/Upgrade of image templates is currently not supported…") and ARM's published error catalogue; where the real text is unknown the message says what is wrong.
 */
import { API_VERSION, PROVIDER } from "./service";

/** An error that is rendered as ARM's `{ error: { code, message } }` with the given status. */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/** An error of the staging accounts' blob service, rendered as Azure Storage's XML `<Error>` (blob-gateway.ts). */
export class StorageError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The blob gateway's refusals, in Azure Storage's codes and texts (a refused token is 403, as Azurite answered). */
export const storageErrors = {
  /** As Azurite answers for an account it does not hold, whoever asks. */
  accountNotFound: () => new StorageError(404, "ResourceNotFound", "The specified resource does not exist."),
  noAuthentication: () =>
    new StorageError(
      401,
      "NoAuthenticationInformation",
      "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.",
    ),
  authenticationFailed: (refusal: string) =>
    new StorageError(
      403,
      "AuthenticationFailed",
      `Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature. ${refusal}`,
    ),
  /** Azurite could not be started. */
  internal: () =>
    new StorageError(500, "InternalError", "The server encountered an internal error. Please retry the request."),
};

/** ARM's dates in auth errors use the .NET general format, e.g. `11/28/2025 10:15:00 PM`. */
function armDate(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const h = d.getUTCHours();
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${h % 12 || 12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${h < 12 ? "AM" : "PM"}`;
}

/** The RP reports provisioning states with its internal names in OperationNotAllowed texts ("provisioned"). */
const internalProvisioningName: Record<string, string> = {
  Succeeded: "provisioned",
  Creating: "creating",
  Updating: "updating",
  Deleting: "deleting",
  Failed: "failed",
  Canceled: "canceled",
};

/** A caller's value as an error message quotes it: never more than a line, whatever was sent. */
const quoted = (value: string) => (value.length > 80 ? `${value.slice(0, 80)}…` : value);

export const errors = {
  missingApiVersion: () =>
    new ArmError(
      400,
      "MissingApiVersionParameter",
      "The api-version query parameter (?api-version=) is required for all requests.",
    ),
  invalidApiVersion: (v: string) =>
    new ArmError(
      400,
      "InvalidApiVersionParameter",
      `The api-version '${v}' is invalid. The supported versions are '${API_VERSION}'.`,
    ),
  authMissing: () =>
    new ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."),
  authMalformed: () =>
    new ArmError(
      401,
      "AuthenticationFailed",
      "Authentication failed. The 'Authorization' header is provided in an invalid format.",
    ),
  tokenInvalid: (detail: string) =>
    new ArmError(401, "InvalidAuthenticationToken", `The access token is invalid. ${detail}`.trim()),
  tokenWrongAudience: (aud: string) =>
    new ArmError(
      401,
      "InvalidAuthenticationToken",
      `The access token has been obtained for wrong audience or resource '${aud}'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.`,
    ),
  tokenExpired: (exp: number, now: number) =>
    new ArmError(
      401,
      "ExpiredAuthenticationToken",
      `The access token expiry UTC time '${armDate(exp)}' is earlier than current UTC time '${armDate(now)}'.`,
    ),
  authorizationFailed: (clientId: string, objectId: string, action: string, scope: string) =>
    new ArmError(
      403,
      "AuthorizationFailed",
      `The client '${clientId}' with object id '${objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    ),
  resourceNotFound: (type: string, name: string, resourceGroup: string) =>
    new ArmError(
      404,
      "ResourceNotFound",
      `The Resource '${PROVIDER}/${type}/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    ),
  resourceGroupNotFound: (name: string) =>
    new ArmError(404, "ResourceGroupNotFound", `Resource group '${name}' could not be found.`),
  operationNotFound: (id: string) => new ArmError(404, "ResourceNotFound", `The operation '${id}' was not found.`),
  invalidResourceType: (path: string) =>
    new ArmError(
      404,
      "InvalidResourceType",
      `The resource type could not be found in the namespace '${PROVIDER}' for api version '${API_VERSION}' (path '${path}').`,
    ),
  notFound: (path: string) =>
    new ArmError(404, "NotFound", `No HTTP resource was found that matches the request URI '${path}'.`),
  methodNotAllowed: (method: string) =>
    new ArmError(405, "MethodNotAllowed", `The requested resource does not support http method '${method}'.`),
  /** The service refuses any PUT onto an existing template, even with an identical body. */
  templateConflict: () =>
    new ArmError(
      409,
      "Conflict",
      "Update/Upgrade of image templates is currently not supported. Please change the name of the template you are submitting. If you have previously tried to submit a template and it failed to provision, you must delete it first and then resubmit. For more information, go to https://aka.ms/azvmimagebuilderts.",
    ),
  /** As the service words it: `Operation Microsoft.VirtualMachineImages/imageTemplates/delete is not allowed in provisioning state: provisioned or run state: running.` */
  operationNotAllowed: (action: string, provisioningState: string, runState: string | undefined) =>
    new ArmError(
      409,
      "OperationNotAllowed",
      `Operation ${PROVIDER}/imageTemplates/${action} is not allowed in provisioning state: ${internalProvisioningName[provisioningState] ?? provisioningState.toLowerCase()} or run state: ${(runState ?? "").toLowerCase()}.`,
    ),
  /** A delete while the template is still being created (Azure/azvmimagebuilder#65). */
  deleteWhileCreating: () =>
    new ArmError(409, "OperationNotAllowed", "Operation 'DELETE' is not allowed in provisioningState: 'creating'"),
  /** As the service words it: `Validation failed: 'ImageTemplate': Missing field 'identity'`. */
  validation: (message: string) => new ArmError(400, "ValidationFailed", `Validation failed: ${message}`),
  /** API >= 2024-02-01 is case-sensitive and rejects unknown fields. */
  unknownField: (path: string, field: string) =>
    new ArmError(
      400,
      "ValidationFailed",
      `Unmarshalling entity encountered error: json: unknown field "${field}" at '${path}'`,
    ),
  patchFieldNotUpdatable: (field: string) =>
    new ArmError(
      400,
      "InvalidParameter",
      `The property '${field}' cannot be updated. Only 'tags', 'identity', 'properties.vmProfile' and 'properties.distribute' can be updated; change the template's name to replace it.`,
    ),
  invalidJson: (detail: string) =>
    new ArmError(
      400,
      "InvalidRequestContent",
      `The request content was invalid and could not be deserialized: '${detail}'.`,
    ),
  triggerNotAllowed: (reason: string) =>
    new ArmError(400, "InvalidParameter", `The trigger cannot be created: ${reason}`),
  throttled: (retryAfterSeconds: number) =>
    new ArmError(
      429,
      "TooManyRequests",
      "The request is being throttled as the limit has been reached for operation type - Read_ObservationWindow_00:05:00. For more information, refer - https://aka.ms/srpthrottlinglimits",
      { "Retry-After": String(retryAfterSeconds) },
    ),
  /** The front door's refusals (limits.ts, server.ts), before any handler runs. */
  tooLarge: (maxBytes: number) =>
    new ArmError(
      413,
      "RequestEntityTooLarge",
      `The request content size exceeds the maximum size of ${maxBytes} bytes allowed by Azure Resource Manager.`,
    ),
  dotSegment: () =>
    new ArmError(400, "InvalidRequestUri", "The request URI must not contain '.' or '..' path segments."),
  malformedEncoding: () =>
    new ArmError(400, "InvalidRequestUri", "The request URI contains a malformed percent-encoded sequence."),
  resourceGroupName: (name: string) =>
    new ArmError(
      400,
      "InvalidResourceGroupName",
      `Resource group name '${quoted(name)}' is invalid: it must be 1-90 characters of letters, digits, '_', '(', ')', '-' or '.', and must not end in '.'.`,
    ),
  location: (location: string) =>
    new ArmError(
      400,
      "LocationNotAvailableForResourceType",
      `The provided location '${quoted(location)}' is not available for resource type 'Microsoft.VirtualMachineImages/imageTemplates'.`,
    ),
  /** The admin API's refusal of a body or an unknown admin route (its own code, BadRequest). */
  adminRequest: (message: string, status = 400) => new ArmError(status, "BadRequest", message),
  adminToken: (header: string) =>
    new ArmError(
      401,
      "AdminTokenRequired",
      `The emulator's admin API needs the ${header} header with the adminToken printed in the ready line.`,
    ),
  tooManyTags: (count: number, max: number) =>
    new ArmError(
      400,
      "InvalidTagsCount",
      `The number of tags (${count}) exceeds the maximum of ${max} tags per resource.`,
    ),
  tagNameLength: (name: string, max: number) =>
    new ArmError(
      400,
      "InvalidTagNameLength",
      `The tag name '${quoted(name)}' exceeds the maximum length of ${max} characters.`,
    ),
  tagValueLength: (name: string, max: number) =>
    new ArmError(
      400,
      "InvalidTagValueLength",
      `The value of tag '${quoted(name)}' exceeds the maximum length of ${max} characters.`,
    ),
  tagNameCharacters: (name: string) =>
    new ArmError(
      400,
      "InvalidTagNameCharacters",
      `The tag name '${quoted(name)}' is empty or has reserved characters '<,>,%,&,\\,?,/' or control characters.`,
    ),
  tagsNotObject: () =>
    new ArmError(400, "InvalidRequestContent", "The request content was invalid: 'tags' must be an object of strings."),
  /** NUL and lone surrogates: text no Azure service stores (ARM's JSON reader refuses them). */
  invalidCharacters: (path: string) =>
    new ArmError(
      400,
      "InvalidRequestContent",
      `The request content was invalid and could not be deserialized: '${quoted(path)}' holds a NUL character or an unpaired surrogate.`,
    ),
  /** A subscription not registered for the namespace (admin `setRegistration`). */
  missingSubscriptionRegistration: (location: string) =>
    new ArmError(
      409,
      "MissingSubscriptionRegistration",
      `The subscription is not registered for the resource type 'imageTemplates' in the location '${location}'. Please re-register for this provider in order to have access to this location. The subscription is not registered to use namespace '${PROVIDER}'. See https://aka.ms/rps-not-found for how to register subscriptions.`,
    ),
  /** The generic error long builds occasionally return. */
  transient: (status: number) =>
    status === 503
      ? new ArmError(503, "ServiceUnavailable", "The service is temporarily unavailable. Please retry the request.")
      : new ArmError(status, "InternalServerError", "Internal error occurred. This is a generic error."),
};
