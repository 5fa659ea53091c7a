/** Classifies the emulator's request log: what a client sent per operation, against the LRO protocol's minimum. */
import type { RequestLogEntry } from "../emulator";

export interface RequestCounts {
  /** Token and OpenID discovery requests. */
  identity: number;
  /** Status-monitor polls (GET .../locations/{l}/operations/{id}). */
  polls: number;
  /** Every other ARM request (PUT/PATCH/DELETE/POST and GETs of the resource). */
  resource: number;
  total: number;
}

const POLL = /\/providers\/Microsoft\.VirtualMachineImages\/locations\/[^/]+\/operations\/[^/]+$/i;

export function countRequests(log: readonly RequestLogEntry[]): RequestCounts {
  const identity = log.filter((e) => e.kind === "identity").length;
  const polls = log.filter((e) => e.kind === "arm" && POLL.test(e.path)).length;
  return { identity, polls, resource: log.length - identity - polls, total: log.length };
}

/** Counts divided by the number of resources operated on. */
export function perResource(c: RequestCounts, resources: number): RequestCounts {
  return {
    identity: c.identity / resources,
    polls: c.polls / resources,
    resource: c.resource / resources,
    total: c.total / resources,
  };
}

export type LroKind = "create" | "update" | "delete";

/**
 * The fewest ARM requests one LRO can take when the client honours Retry-After R against latency L: the request,
 * ceil(L/R) polls (the first after R seconds finds it done when L <= R), and for PUT/PATCH the final GET of the
 * resource (the template's operations use final-state-via azure-async-operation, so DELETE has none).
 * Identity requests are excluded: one token per process serves every operation.
 */
export function lroMinimum(kind: LroKind, latencyMs: number, retryAfterSeconds: number): number {
  const polls = Math.max(1, Math.ceil(latencyMs / (retryAfterSeconds * 1000)));
  return 1 + polls + (kind === "delete" ? 0 : 1);
}
