/** Fault injection: rules that act on the next `count` requests matching a method and path pattern. */

/**
 * Each kind of fault and where it acts: at the front door, before any handler (the request is dropped, delayed or
 * answered with an error), or in the handler of the request it matched (ARM's or the token endpoint's), which
 * carries it out.
 */
export const FAULTS = {
  throttle: { actsIn: "front door" },
  error: { actsIn: "front door" },
  drop: { actsIn: "front door" },
  slow: { actsIn: "front door" },
  failProvisioning: { actsIn: "handler" },
  failBuild: { actsIn: "handler" },
  partialBuild: { actsIn: "handler" },
  storageForbidden: { actsIn: "handler" },
} as const satisfies Record<string, { actsIn: "front door" | "handler" }>;
export type FaultKind = keyof typeof FAULTS;
const FAULT_KINDS = Object.keys(FAULTS) as FaultKind[];

export interface FaultRule {
  /** HTTP method to match (any if omitted), case-insensitive. */
  method?: string;
  /**
   * Pattern found anywhere in the request path (without the query string): plain text, with `^` (at the start) and
   * `$` (at the end) anchors and `.*` wildcards, e.g. "/imageTemplates/t1$". No other regular-expression syntax: a
   * pattern must not be able to stall the server (`^/(a+)+$` would backtrack for seconds).
   */
  path: string;
  /** How many matching requests the rule affects (default 1). */
  count?: number;
  kind: FaultKind;
  /** `error`: 500 (default) or 503 etc. */
  status?: number;
  /** `throttle`: Retry-After seconds (default 1). */
  retryAfterSeconds?: number;
  /** `slow`: delay before the request is handled (default 1000). */
  delayMs?: number;
  /** `failProvisioning` / `failBuild` / `partialBuild`: the error message the template reports. */
  message?: string;
  /** `failBuild`: the name of the customizer that fails (default: the last one). */
  customizer?: string;
  /** `failBuild`: the lines the failing customizer prints before it fails. */
  output?: string[];
}

interface ActiveRule {
  rule: FaultRule;
  matches: (path: string) => boolean;
  remaining: number;
}

/** A linear-time matcher for the `path` pattern language (literal pieces found in order, optionally anchored). */
export function pathMatcher(pattern: string): (path: string) => boolean {
  const anchoredStart = pattern.startsWith("^");
  const anchoredEnd = pattern.endsWith("$") && !pattern.endsWith("\\$");
  const body = pattern.slice(anchoredStart ? 1 : 0, anchoredEnd ? -1 : undefined);
  const raw = body.split(".*");
  if (raw.some((piece) => /[\\^$*+?()[\]{}|]/.test(piece.replace(/\\./g, "")))) {
    throw new Error(
      `fault rule path '${pattern}' may hold plain text, '^' and '$' anchors and '.*' wildcards only (no other regular-expression syntax)`,
    );
  }
  const pieces = raw.map((piece) => piece.replace(/\\(.)/g, "$1"));
  return (path) => {
    let at = 0;
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      const last = i === pieces.length - 1;
      if (i === 0 && anchoredStart) {
        if (!path.startsWith(piece)) return false;
        at = piece.length;
      } else if (last && anchoredEnd) {
        return path.length - piece.length >= at && path.endsWith(piece);
      } else {
        const found = path.indexOf(piece, at);
        if (found < 0) return false;
        at = found + piece.length;
      }
    }
    return !anchoredEnd || at === path.length;
  };
}

const inRange = (v: unknown, min: number, max: number) =>
  typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;

export function validateFaultRule(raw: unknown): FaultRule {
  const r = raw as FaultRule;
  if (typeof r !== "object" || r === null) throw new Error("fault rule must be an object");
  if (!Object.hasOwn(FAULTS, r.kind)) throw new Error(`fault kind must be one of ${FAULT_KINDS.join(", ")}`);
  if (typeof r.path !== "string") throw new Error("fault rule needs a 'path' pattern");
  pathMatcher(r.path);
  if (r.count !== undefined && !inRange(r.count, 1, 1_000_000)) throw new Error("count must be an integer >= 1");
  if (r.status !== undefined && !inRange(r.status, 100, 599)) throw new Error("status must be an integer in 100-599");
  if (r.retryAfterSeconds !== undefined && !inRange(r.retryAfterSeconds, 0, 86_400)) {
    throw new Error("retryAfterSeconds must be an integer in 0-86400");
  }
  if (r.delayMs !== undefined && !inRange(r.delayMs, 0, 600_000))
    throw new Error("delayMs must be an integer in 0-600000");
  if (r.method !== undefined && typeof r.method !== "string") throw new Error("method must be a string");
  if (r.customizer !== undefined && typeof r.customizer !== "string") throw new Error("customizer must be a string");
  if (r.output !== undefined && !(Array.isArray(r.output) && r.output.every((l) => typeof l === "string"))) {
    throw new Error("output must be an array of strings");
  }
  return r;
}

/**
 * The first rule (in insertion order) that matches a request is consumed and applies to it; one request gets at
 * most one fault. Consumed-out rules disappear.
 */
export class FaultInjector {
  private rules: ActiveRule[] = [];

  add(rule: FaultRule): void {
    const valid = validateFaultRule(rule);
    this.rules.push({ rule: valid, matches: pathMatcher(valid.path), remaining: valid.count ?? 1 });
  }

  list(): (FaultRule & { remaining: number })[] {
    return this.rules.map((r) => ({ ...r.rule, remaining: r.remaining }));
  }

  clear(): void {
    this.rules = [];
  }

  take(method: string, path: string): FaultRule | undefined {
    if (this.rules.length === 0) return undefined;
    const index = this.rules.findIndex(
      (r) => (r.rule.method === undefined || r.rule.method.toUpperCase() === method) && r.matches(path),
    );
    if (index < 0) return undefined;
    const active = this.rules[index];
    if (--active.remaining === 0) this.rules.splice(index, 1);
    return active.rule;
  }
}
