/** Fault injection: rules that act on the next `count` requests matching a method and path pattern. */
export const FAULT_KINDS = [
  "throttle",
  "error",
  "drop",
  "slow",
  "failProvisioning",
  "failBuild",
  "storageForbidden",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRule {
  /** HTTP method to match (any if omitted), case-insensitive. */
  method?: string;
  /** Regular expression tested against the request path (without the query string). */
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
  /** `failProvisioning` / `failBuild`: the error message the template reports. */
  message?: string;
  /** `failBuild`: the name of the customizer that fails (default: the last one). */
  customizer?: string;
  /** `failBuild`: the lines the failing customizer prints before it fails. */
  output?: string[];
}

interface ActiveRule {
  rule: FaultRule;
  pattern: RegExp;
  remaining: number;
}

export function validateFaultRule(raw: unknown): FaultRule {
  const r = raw as FaultRule;
  if (typeof r !== "object" || r === null) throw new Error("fault rule must be an object");
  if (!FAULT_KINDS.includes(r.kind)) throw new Error(`fault kind must be one of ${FAULT_KINDS.join(", ")}`);
  if (typeof r.path !== "string") throw new Error("fault rule needs a 'path' regular expression");
  new RegExp(r.path);
  if (r.count !== undefined && (!Number.isInteger(r.count) || r.count < 1)) throw new Error("count must be >= 1");
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
    this.rules.push({ rule: valid, pattern: new RegExp(valid.path), remaining: valid.count ?? 1 });
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
      (r) => (r.rule.method === undefined || r.rule.method.toUpperCase() === method) && r.pattern.test(path),
    );
    if (index < 0) return undefined;
    const active = this.rules[index];
    if (--active.remaining === 0) this.rules.splice(index, 1);
    return active.rule;
  }
}
