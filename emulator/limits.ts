/**
 * What the emulator refuses before any handler runs, and the limits it holds connections to: it listens on a port
 * anyone on the host (or, with --host 0.0.0.0, the network) can reach, and its admin API mints tokens.
 */
import { timingSafeEqual } from "node:crypto";
import { ArmError } from "./errors";

/** ARM refuses bodies over 4 MiB with 413 RequestEntityTooLarge. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Beyond this a body is not even drained: the connection is cut. */
export const MAX_DRAINED_BYTES = 64 * 1024 * 1024;

/** Connection limits; tests lower them to observe their effect. */
export interface ConnectionLimits {
  /** Time to receive a request's headers. */
  headersTimeoutMs: number;
  /** Time to receive a whole request. */
  requestTimeoutMs: number;
  /** How long a kept-alive connection waits for its next request. */
  keepAliveTimeoutMs: number;
  /** How long any connection may stay silent (also one that never sent a request). */
  idleTimeoutMs: number;
  /** Open connections at most; further ones are refused. */
  maxConnections: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 120_000,
  keepAliveTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  maxConnections: 512,
};

/** The request path as sent, still percent-encoded (URL parsing would resolve `..` away before routing). */
export function rawPathOf(url: string | undefined): string {
  return (url ?? "/").split("?")[0];
}

/** `.` and `..` segments, also percent-encoded: refused rather than resolved, so no path reaches another route. */
export function hasDotSegment(rawPath: string): boolean {
  return rawPath
    .replace(/\\/g, "/")
    .split("/")
    .some((segment) => /^(\.|%2e){1,2}$/i.test(segment));
}

/** decodeURIComponent without the URIError: undefined for malformed percent-encoding. */
export function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** ARM's resource group names: 1-90 letters, digits, `_ ( ) - .`, not ending in `.`. */
export const RESOURCE_GROUP_NAME = /^[-\w.()]{0,89}[-\w()]$/;

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

/** Constant-time comparison of the admin token. */
export function adminTokenMatches(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== "string") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export const ADMIN_TOKEN_HEADER = "x-emulator-admin-token";

/** Region names as ARM accepts them: letters, digits and spaces. */
export const REGION_NAME = /^[A-Za-z0-9][A-Za-z0-9 ]*$/;

/** The answers for what this module refuses, in ARM's error shape. */
export const limitErrors = {
  tooLarge: () =>
    new ArmError(
      413,
      "RequestEntityTooLarge",
      `The request content size exceeds the maximum size of ${MAX_BODY_BYTES} bytes allowed by Azure Resource Manager.`,
    ),
  dotSegment: () =>
    new ArmError(400, "InvalidRequestUri", "The request URI must not contain '.' or '..' path segments."),
  malformedEncoding: () =>
    new ArmError(400, "InvalidRequestUri", "The request URI contains a malformed percent-encoded sequence."),
  resourceGroupName: (name: string) =>
    new ArmError(
      400,
      "InvalidResourceGroupName",
      `Resource group name '${name}' is invalid: it must be 1-90 characters of letters, digits, '_', '(', ')', '-' or '.', and must not end in '.'.`,
    ),
  location: (location: string) =>
    new ArmError(
      400,
      "LocationNotAvailableForResourceType",
      `The provided location '${location}' is not available for resource type 'Microsoft.VirtualMachineImages/imageTemplates'.`,
    ),
  adminToken: () =>
    new ArmError(
      401,
      "AdminTokenRequired",
      `The emulator's admin API needs the ${ADMIN_TOKEN_HEADER} header with the adminToken printed in the ready line.`,
    ),
};

/** Throws unless `location` is a region name (it ends up in the operation monitor's URL). */
export function checkLocation(location: unknown): void {
  if (typeof location !== "string" || !REGION_NAME.test(location)) throw limitErrors.location(String(location));
}
