import * as t from "io-ts";
import { isRecord } from "../property-bag";

/** What the Pulumi engine sends in place of a value that is not known yet (during preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const isUnknown = (u: unknown): boolean => u === UNKNOWN;

const at = (c: t.Context, key: string, type: t.Decoder<unknown, unknown>, actual: unknown): t.Context => [
  ...c,
  { key, type, actual },
];

/** Validates one member value; unknown-during-preview values are accepted as they are. */
function validateMember(codec: t.Mixed, value: unknown, c: t.Context, key: string, errors: t.Errors): void {
  if (isUnknown(value)) return;
  const result = codec.validate(value, at(c, key, codec, value));
  if (result._tag === "Left") errors.push(...result.left);
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** "did you mean" for a misspelt key: a case-insensitive match, or the closest name within a third of its length. */
export function suggest(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const sameCase = known.find((k) => k.toLowerCase() === lower);
  if (sameCase) return sameCase;
  const prefix = lower.length >= 3 ? known.find((k) => k.toLowerCase().startsWith(lower)) : undefined;
  if (prefix) return prefix;
  const within = Math.max(2, Math.floor(key.length / 3));
  let best: { name: string; distance: number } | undefined;
  // The distance is at least the difference in length: names too far apart are not compared (a long key costs nothing).
  for (const name of known.filter((k) => Math.abs(k.length - key.length) <= within)) {
    const distance = levenshtein(lower, name.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best && best.distance <= within ? best.name : undefined;
}

function unknownKeyMessage(key: string, known: readonly string[]): string {
  const hint = suggest(key, known);
  return hint
    ? `unknown property; did you mean "${hint}"?`
    : `unknown property; allowed: ${[...known].sort().join(", ")}`;
}

export interface ObjectC<R extends t.Props, O extends t.Props> extends t.Type<
  t.TypeOf<t.TypeC<R>> & t.TypeOf<t.PartialC<O>>,
  unknown,
  unknown
> {
  readonly required: R;
  readonly optional: O;
  /** Every member's name, required ones first. */
  readonly keys: (keyof R | keyof O)[];
}

/**
 * An object with required and optional members that REJECTS unknown members (the 2025-10-01 API does too), naming
 * each offending key. Unlike t.intersection, errors carry clean paths (no member indices).
 */
export function object<R extends t.Props, O extends t.Props>(name: string, required: R, optional: O): ObjectC<R, O> {
  const known = [...Object.keys(required), ...Object.keys(optional)];
  type A = t.TypeOf<t.TypeC<R>> & t.TypeOf<t.PartialC<O>>;
  const codec = new t.Type<A, unknown, unknown>(
    name,
    (u): u is A => codec.validate(u, [])._tag === "Right",
    (u, c) => {
      if (!isRecord(u)) return t.failure(u, c, "must be an object");
      const errors: t.Errors = [];
      for (const [key, value] of Object.entries(u)) {
        if (!known.includes(key) && value !== undefined) {
          errors.push({ value, context: at(c, key, t.unknown, value), message: unknownKeyMessage(key, known) });
        }
      }
      for (const [key, member] of Object.entries(required)) {
        if (u[key] === undefined || u[key] === null) {
          errors.push({ value: u[key], context: at(c, key, member, u[key]), message: "is required" });
        } else validateMember(member, u[key], c, key, errors);
      }
      for (const [key, member] of Object.entries(optional)) {
        if (u[key] !== undefined && u[key] !== null) validateMember(member, u[key], c, key, errors);
      }
      return errors.length > 0 ? t.failures(errors) : t.success(u as A);
    },
    t.identity,
  );
  return Object.assign(codec, { required, optional, keys: known as (keyof R | keyof O)[] });
}

export interface ArrayC<C extends t.Mixed> extends t.Type<t.TypeOf<C>[], unknown, unknown> {
  readonly item: C;
}

/**
 * A list of `item`s. `maxItems` (from BOUNDS) is checked before any item, so an oversized list costs one failure, not
 * one validation per item.
 */
export function array<C extends t.Mixed>(item: C, options: { minItems?: number; maxItems: number }): ArrayC<C> {
  const codec: t.Type<t.TypeOf<C>[], unknown> = new t.Type<t.TypeOf<C>[], unknown, unknown>(
    `Array<${item.name}>`,
    (u): u is t.TypeOf<C>[] => codec.validate(u, [])._tag === "Right",
    (u, c) => {
      if (!Array.isArray(u)) return t.failure(u, c, "must be a list");
      if (options.minItems !== undefined && u.length < options.minItems) {
        return t.failure(u, c, `must have at least ${options.minItems} item(s)`);
      }
      if (u.length > options.maxItems) {
        return t.failure(u, c, `must have at most ${options.maxItems} items (got ${u.length})`);
      }
      const errors: t.Errors = [];
      u.forEach((value, i) => validateMember(item, value, c, String(i), errors));
      return errors.length > 0 ? t.failures(errors) : t.success(u);
    },
    t.identity,
  );
  return Object.assign(codec, { item });
}

/** A string-keyed map of strings (tags). */
export const stringMap: t.Type<Record<string, string>, unknown> = new t.Type<Record<string, string>, unknown, unknown>(
  "Record<string, string>",
  (u): u is Record<string, string> => isRecord(u) && Object.values(u).every((v) => typeof v === "string"),
  (u, c) => {
    if (!isRecord(u)) return t.failure(u, c, "must be a map of strings");
    const errors: t.Errors = [];
    for (const [key, value] of Object.entries(u)) validateMember(t.string, value, c, key, errors);
    return errors.length > 0 ? t.failures(errors) : t.success(u as Record<string, string>);
  },
  t.identity,
);

/** A string enum; the failure lists the allowed values (the API is case-sensitive). */
export function oneOf<V extends string>(...values: readonly [V, ...V[]]): t.Type<V, unknown> {
  return new t.Type<V, unknown, unknown>(
    values.map((v) => JSON.stringify(v)).join(" | "),
    (u): u is V => typeof u === "string" && (values as readonly string[]).includes(u),
    (u, c) =>
      typeof u === "string" && (values as readonly string[]).includes(u)
        ? t.success(u as V)
        : t.failure(u, c, `must be one of ${values.map((v) => JSON.stringify(v)).join(", ")}`),
    t.identity,
  );
}

export function integer(min: number, max = Number.MAX_SAFE_INTEGER): t.Type<number, unknown> {
  const rule = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer between ${min} and ${max}`;
  return new t.Type<number, unknown, unknown>(
    rule,
    (u): u is number => typeof u === "number" && Number.isInteger(u) && u >= min && u <= max,
    (u, c) =>
      typeof u === "number" && Number.isInteger(u) && u >= min && u <= max
        ? t.success(u)
        : t.failure(u, c, `must be ${rule}`),
    t.identity,
  );
}

/** A string matching `re`; `rule` describes it in the failure message. */
export function matching(re: RegExp, rule = `match ${re.source}`): t.Type<string, unknown> {
  return new t.Type<string, unknown, unknown>(
    rule,
    (u): u is string => typeof u === "string" && re.test(u),
    (u, c) => (typeof u === "string" && re.test(u) ? t.success(u) : t.failure(u, c, `must ${rule}`)),
    t.identity,
  );
}

export const nonEmptyString = matching(/\S/, "be a non-empty string");

/**
 * A string of at most `max` characters (from BOUNDS) that `codec` accepts; the length is checked first, so a
 * megabyte never reaches a pattern and its failure names the bound.
 */
export function atMost(max: number, codec: t.Type<string, unknown> = t.string): t.Type<string, unknown> {
  return new t.Type<string, unknown, unknown>(
    `${codec.name} (at most ${max} characters)`,
    (u): u is string => typeof u === "string" && u.length <= max && codec.is(u),
    (u, c) =>
      typeof u === "string" && u.length > max
        ? t.failure(u, c, `must be at most ${max} characters (got ${u.length})`)
        : codec.validate(u, c),
    t.identity,
  );
}

const isHttpUrl = (u: unknown): u is string => typeof u === "string" && /^https?:\/\//i.test(u) && URL.canParse(u);

/** An absolute http(s) URL. */
export const httpUrl = new t.Type<string, unknown, unknown>(
  "URL",
  isHttpUrl,
  (u, c) => (isHttpUrl(u) ? t.success(u) : t.failure(u, c, "must be an absolute http(s) URL")),
  t.identity,
);

/** Empty (= service default) or an absolute http(s) URL. */
export const httpUrlOrEmpty = new t.Type<string, unknown, unknown>(
  "URL or empty",
  (u): u is string => u === "" || isHttpUrl(u),
  (u, c) => (u === "" || isHttpUrl(u) ? t.success(u) : t.failure(u, c, "must be empty or an absolute http(s) URL")),
  t.identity,
);

/** Empty (= service default) or 64 hex digits. */
export const sha256 = matching(/^([A-Fa-f0-9]{64})?$/, "be a SHA-256 checksum (64 hex digits)");

// The parts every ARM id starts with: a subscription GUID and a resource group name (1-90 of letters, digits, '_',
// '-', '.', '(', ')', not ending in '.'), as ARM itself checks them.
const GUID = "[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}";
export const RESOURCE_GROUP = "[-\\w.()]{0,89}[-\\w()]";
export const RESOURCE_GROUP_ID_PATTERN = `/subscriptions/${GUID}/resourceGroups/${RESOURCE_GROUP}`;

/** An ARM resource id whose provider part (after the resource group) matches `tail`, e.g. "Microsoft.Compute/images/[^/]+". */
export function resourceId(tail: string, example: string): t.Type<string, unknown> {
  const re = new RegExp(`^${RESOURCE_GROUP_ID_PATTERN}/providers/${tail}$`, "i");
  return matching(re, `be a resource id like ${example}`);
}

/**
 * A union discriminated by `tag`: an unknown tag gets one clear failure at `<path>.<tag>` listing the allowed ones,
 * and a known tag validates against just that member, so errors never mix members.
 */
export interface TaggedUnionC<M extends Record<string, t.Mixed>> extends t.Type<
  t.TypeOf<M[keyof M]>,
  unknown,
  unknown
> {
  readonly tag: string;
  readonly members: M;
}

export function taggedUnion<M extends Record<string, t.Mixed>>(name: string, tag: string, members: M): TaggedUnionC<M> {
  const tags = Object.keys(members);
  type A = t.TypeOf<M[keyof M]>;
  const codec: t.Type<A, unknown> = new t.Type<A, unknown, unknown>(
    name,
    (u): u is A => codec.validate(u, [])._tag === "Right",
    (u, c) => {
      if (!isRecord(u)) return t.failure(u, c, "must be an object");
      const value = u[tag];
      if (isUnknown(value)) return t.success(u as A);
      if (typeof value !== "string" || !tags.includes(value)) {
        const message = `must be one of ${tags.map((v) => JSON.stringify(v)).join(", ")}`;
        return t.failures([{ value, context: at(c, tag, t.string, value), message }]);
      }
      return members[value].validate(u, c) as t.Validation<A>;
    },
    t.identity,
  );
  return Object.assign(codec, { tag, members });
}

/** Renders an io-ts context as a dotted path: distribute[0].runOutputName. */
export function pathOf(context: t.Context): string {
  let path = "";
  context.forEach(({ key }, i) => {
    if (key === "") return;
    // An index only below an array: an object member may be named "0" too (found by the fast-check suite).
    path += Array.isArray(context[i - 1]?.actual) ? `[${key}]` : path === "" ? key : `.${key}`;
  });
  return path;
}

export interface Failure {
  property: string;
  reason: string;
}

export function failuresOf(errors: t.Errors): Failure[] {
  return errors.map((e) => {
    const last = e.context[e.context.length - 1];
    return { property: pathOf(e.context), reason: e.message ?? `must be ${last?.type.name ?? "valid"}` };
  });
}

/** What the combinators here attach to a codec of their making: its shape, read by the generators of docs and schema. */
export interface CodecShape {
  required?: t.Props;
  optional?: t.Props;
  keys?: string[];
  item?: t.Mixed;
  tag?: string;
  members?: Record<string, t.Mixed>;
}
