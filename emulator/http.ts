import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { Caller } from "./auth";
import type { FaultRule } from "./faults";
import { MAX_BODY_BYTES, MAX_DRAINED_BYTES } from "./limits";

/** What a handler answers; the server serialises it. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A request after routing: the matched route's parameters and one clock reading for the whole answer. */
export interface RoutedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  now: number;
  /** A behavioural fault (failProvisioning / failBuild, storageForbidden for tokens) that matched this request. */
  fault?: FaultRule;
}

/** An authenticated ARM request. */
export interface ArmRequest extends RoutedRequest {
  caller: Caller;
}

/** An admin API request, its body parsed. */
export interface AdminRequest extends RoutedRequest {
  body: unknown;
}

/**
 * Reads a request body. One over `limit` bytes is drained and dropped (so the client reads the 413 rather than a
 * reset); past MAX_DRAINED_BYTES the connection is cut.
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<{ body: Buffer; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_DRAINED_BYTES) {
        reject(new Error("request body too large to drain"));
        req.destroy();
      } else if (size <= limit) chunks.push(c);
    });
    req.on("end", () =>
      resolve({ body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), tooLarge: size > limit }),
    );
    req.on("error", reject);
  });
}

export function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string | number> = { ...reply.headers };
  let payload: string | undefined;
  if (reply.body !== undefined) {
    payload = JSON.stringify(reply.body);
    headers["Content-Type"] = "application/json; charset=utf-8";
    headers["Content-Length"] = Buffer.byteLength(payload);
  } else {
    headers["Content-Length"] = 0;
  }
  res.writeHead(reply.status, headers);
  res.end(payload);
}
