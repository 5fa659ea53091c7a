import type { EmulatorCore } from "./core";
import { safeDecode } from "./limits";
import type { ArmRequest, Reply } from "./http";

export type Handler = (emu: EmulatorCore, r: ArmRequest) => Reply | Promise<Reply>;

export interface Route {
  /** Path template with `{param}` segments, as written in the spec's `paths`. */
  template: string;
  /** Handlers by HTTP method, each with the RBAC action named in 403 errors. */
  methods: Record<string, { handler: Handler; action: string }>;
  /** The api-version the route answers, when not Image Builder's. */
  apiVersion?: string;
}

export interface CompiledRoute extends Route {
  regex: RegExp;
  names: string[];
}

/** ARM matches literal path segments case-insensitively; parameters are URL-decoded. */
export function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.template
    .split("/")
    .map((seg) => {
      const m = /^\{(\w+)\}$/.exec(seg);
      if (m) {
        names.push(m[1]);
        return "([^/]+)";
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return { ...route, regex: new RegExp(`^${source}/?$`, "i"), names };
}

export function match(
  routes: CompiledRoute[],
  path: string,
): { route: CompiledRoute; params: Record<string, string>; malformed: boolean } | undefined {
  for (const route of routes) {
    const m = route.regex.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    let malformed = false;
    route.names.forEach((n, i) => {
      const decoded = safeDecode(m[i + 1]);
      malformed ||= decoded === undefined;
      params[n] = decoded ?? m[i + 1];
    });
    return { route, params, malformed };
  }
  return undefined;
}
