/**
 * What the emulator refuses before any handler runs, and the limits it holds connections to: it listens on a port
 * anyone on the host (or, with --host 0.0.0.0, the network) can reach, and its admin API mints tokens.
 */
import { timingSafeEqual } from "node:crypto";
import type * as https from "node:https";
import { errors } from "./errors";

/** ARM refuses bodies over 4 MiB with 413 RequestEntityTooLarge. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Beyond this a body is not even drained: the connection is cut. */
export const MAX_DRAINED_BYTES = 64 * 1024 * 1024;
/**
 * What a request that has not proven who it is may make the emulator hold: the token endpoint's form (a client
 * assertion is a few KB), read before any credential is checked. ARM and admin bodies are read only after their
 * token is checked, so an anonymous connection costs its TLS buffers and headers, never a 4 MiB body.
 */
export const MAX_UNAUTHENTICATED_BODY_BYTES = 64 * 1024;

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
  /** How often Node checks the headers and request timeouts (its default, 30 s, let slow headers live 50 s). */
  connectionsCheckingIntervalMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 120_000,
  keepAliveTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  maxConnections: 512,
  connectionsCheckingIntervalMs: 1000,
};

/** The limits that are https.createServer options (connectionsCheckingInterval can only be set there). */
export function connectionOptions(limits: ConnectionLimits): https.ServerOptions {
  return {
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    handshakeTimeout: limits.headersTimeoutMs,
    connectionsCheckingInterval: limits.connectionsCheckingIntervalMs,
  };
}

/**
 * The cap on open connections, and the limit on silence once a request has started (a stalled body). A connection
 * that never completes a request's headers is closed by the headers timeout, which Node counts from the connection's
 * start (checked every connectionsCheckingIntervalMs), with a 408.
 */
export function applyConnectionLimits(server: https.Server, limits: ConnectionLimits): void {
  server.maxConnections = limits.maxConnections;
  server.setTimeout(limits.idleTimeoutMs, (socket) => socket.destroy());
  server.on("secureConnection", (socket: import("node:tls").TLSSocket) => socket.setNoDelay(true));
}

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

/** Region names as ARM accepts them: letters, digits and spaces, as short as region names are (the longest is 20). */
export const REGION_NAME = /^[A-Za-z0-9][A-Za-z0-9 ]{0,39}$/;

/** ARM's tag limits (Azure docs, "Tag resources"): 50 per resource, names 512 characters, values 256. */
export const TAG_LIMITS = { count: 50, nameLength: 512, valueLength: 256 };
const TAG_NAME_RESERVED = /[<>%&\\?/\p{Cc}]/u;

/** Throws ARM's error for tags beyond its limits. */
function checkTags(tags: unknown): void {
  if (tags === undefined || tags === null) return;
  if (typeof tags !== "object" || Array.isArray(tags)) throw errors.tagsNotObject();
  const entries = Object.entries(tags);
  if (entries.length > TAG_LIMITS.count) throw errors.tooManyTags(entries.length, TAG_LIMITS.count);
  for (const [name, value] of entries) {
    if (name.length > TAG_LIMITS.nameLength) throw errors.tagNameLength(name, TAG_LIMITS.nameLength);
    if (name === "" || TAG_NAME_RESERVED.test(name)) throw errors.tagNameCharacters(name);
    if (typeof value === "string" && value.length > TAG_LIMITS.valueLength)
      throw errors.tagValueLength(name, TAG_LIMITS.valueLength);
  }
}

/** NUL, or a surrogate half without its other half (JSON's `\\ud800` escapes allow both). */
const BAD_TEXT = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const badText = (text: string) => BAD_TEXT.test(text);

/** Throws unless every key and string in `value` is well-formed text without NUL; iterative, so depth costs no stack. */
function checkText(value: unknown): void {
  const pending: [unknown, string][] = [[value, "$"]];
  for (let item = pending.pop(); item; item = pending.pop()) {
    const [v, at] = item;
    if (typeof v === "string") {
      if (badText(v)) throw errors.invalidCharacters(at);
    } else if (typeof v === "object" && v !== null) {
      for (const [k, child] of Object.entries(v)) {
        if (badText(k)) throw errors.invalidCharacters(at);
        pending.push([child, Array.isArray(v) ? `${at}[${k}]` : `${at}.${k}`]);
      }
    }
  }
}

/**
 * What ARM's front door refuses in a PUT or PATCH body before the resource provider sees it: text that is not
 * well-formed, and tags beyond its limits. A body that is not JSON is left to the handler's parser.
 */
export function checkArmBody(rawBody: Buffer): void {
  if (rawBody.length === 0) return;
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString("utf8"));
  } catch {
    return;
  }
  checkText(body);
  if (typeof body === "object" && body !== null && !Array.isArray(body)) checkTags((body as { tags?: unknown }).tags);
}

/** Throws unless `location` is a region name (it ends up in the operation monitor's URL). */
export function checkLocation(location: unknown): void {
  if (typeof location !== "string" || !REGION_NAME.test(location)) throw errors.location(String(location));
}
