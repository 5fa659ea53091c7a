import { safeDecode } from "./limits";

/**
 * A path pattern's segments: literals match case-insensitively (ARM's rule, applied to every route so there is
 * one), `{name}` binds one non-empty segment and a final `{*name}` binds the rest of the path (possibly empty).
 * Matching walks segments and compares strings: no pattern turns into a regular expression.
 */
type Segment = { literal: string } | { param: string } | { rest: string };

export interface Routable {
  method: string;
  path: string;
}

export interface Matched<R extends Routable> {
  /** The route for the request's method; undefined when the path is served for other methods only. */
  route: R | undefined;
  /** Every route on the matched path (non-empty): tells "method not allowed" apart and which surface it is. */
  onPath: R[];
  /** URL-decoded parameters; a malformed one is kept as sent. */
  params: Record<string, string>;
  /** Some parameter's percent-encoding is malformed. */
  malformed: boolean;
}

function parsePattern(path: string): Segment[] {
  return path
    .split("/")
    .slice(1)
    .map((seg, i, all) => {
      const rest = /^\{\*(\w+)\}$/.exec(seg);
      if (rest) {
        if (i !== all.length - 1) throw new Error(`route ${path}: {*${rest[1]}} must be the last segment`);
        return { rest: rest[1] };
      }
      const param = /^\{(\w+)\}$/.exec(seg);
      return param ? { param: param[1] } : { literal: seg.toLowerCase() };
    });
}

/** The raw (still percent-encoded) parameter values when `parts` (and their lower-case `folded`) fit `pattern`. */
function bind(pattern: Segment[], parts: string[], folded: string[]): Record<string, string> | undefined {
  const last = pattern[pattern.length - 1];
  if (last && "rest" in last ? parts.length < pattern.length - 1 : parts.length !== pattern.length) return undefined;
  const raw: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const seg = pattern[i];
    if ("rest" in seg) raw[seg.rest] = parts.slice(i).join("/");
    else if ("literal" in seg) {
      if (folded[i] !== seg.literal) return undefined;
    } else if (parts[i] === "") return undefined;
    else raw[seg.param] = parts[i];
  }
  return raw;
}

/** Routes grouped by path pattern, matched in the order first written. */
export class Router<R extends Routable> {
  private readonly patterns: { segments: Segment[]; routes: R[] }[] = [];

  constructor(routes: readonly R[]) {
    const byPath = new Map<string, R[]>();
    for (const route of routes) {
      const same = byPath.get(route.path);
      if (same?.some((r) => r.method === route.method)) throw new Error(`route ${route.method} ${route.path} twice`);
      if (same) same.push(route);
      else byPath.set(route.path, [route]);
    }
    for (const [path, onPath] of byPath) this.patterns.push({ segments: parsePattern(path), routes: onPath });
  }

  /** Matches a URL-normalised path (one trailing slash is ignored, as ARM does). */
  match(method: string, path: string): Matched<R> | undefined {
    const parts = path.split("/").slice(1);
    if (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
    const folded = parts.map((p) => p.toLowerCase());
    for (const { segments, routes } of this.patterns) {
      const raw = bind(segments, parts, folded);
      if (!raw) continue;
      const params: Record<string, string> = {};
      let malformed = false;
      for (const [name, value] of Object.entries(raw)) {
        const decoded = safeDecode(value);
        malformed ||= decoded === undefined;
        params[name] = decoded ?? value;
      }
      return { route: routes.find((r) => r.method === method), onPath: routes, params, malformed };
    }
    return undefined;
  }
}
