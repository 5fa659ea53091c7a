import type { EmulatorContext } from "../context";
import { errors } from "../errors";
import type { ArmRequest, Reply } from "../http";
import { keyOf, type JsonObject, type TemplateRecord } from "../model";
import { imageTemplateId } from "../resource-ids";

/** Name rule for templates, triggers and runOutputName, as the service states it in its error. */
export const NAME_PATTERN = /^[A-Za-z0-9-_.]{1,64}$/;

export function checkName(what: string, name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw errors.validation(`'${what}': the name '${name}' does not match the pattern ^[A-Za-z0-9-_.]{1,64}$`);
  }
}

export function parseJson(r: ArmRequest): unknown {
  if (r.rawBody.length === 0) throw errors.invalidJson("the request body is empty");
  try {
    return JSON.parse(r.rawBody.toString("utf8"));
  } catch (e) {
    throw errors.invalidJson((e as Error).message);
  }
}

/** The repository key of the template a route's parameters name. */
export const templateKeyOf = (p: Record<string, string>) =>
  keyOf(imageTemplateId(p.subscriptionId, p.resourceGroupName, p.imageTemplateName));

export function requireTemplate(ctx: EmulatorContext, r: ArmRequest): TemplateRecord {
  const t = ctx.repository.template(templateKeyOf(r.params), r.now);
  if (!t) throw errors.resourceNotFound("imageTemplates", r.params.imageTemplateName, r.params.resourceGroupName);
  return t;
}

export function systemDataFor(r: ArmRequest, previous?: JsonObject): JsonObject {
  const at = new Date(r.now).toISOString();
  return {
    createdBy: previous?.createdBy ?? r.caller.clientId,
    createdByType: previous?.createdByType ?? "Application",
    createdAt: previous?.createdAt ?? at,
    lastModifiedBy: r.caller.clientId,
    lastModifiedByType: "Application",
    lastModifiedAt: at,
  };
}

/** ARM list paging: `value` plus a `nextLink` carrying `$skipToken` while more items remain. */
export function page(ctx: EmulatorContext, r: ArmRequest, items: unknown[]): Reply {
  const skip = Number.parseInt(r.query.get("$skipToken") ?? "0", 10);
  const start = Number.isFinite(skip) && skip > 0 ? skip : 0;
  const value = items.slice(start, start + ctx.pageSize);
  const body: { value: unknown[]; nextLink?: string } = { value };
  if (start + ctx.pageSize < items.length) {
    const next = new URLSearchParams(r.query);
    next.set("$skipToken", String(start + ctx.pageSize));
    body.nextLink = `${ctx.url}${r.path}?${next.toString()}`;
  }
  return { status: 200, body };
}

/** Exactly one user-assigned identity, or `None` where allowed (PATCH), as the service requires. */
export function checkIdentity(identity: JsonObject, allowNone: boolean): void {
  const uais = Object.keys((identity.userAssignedIdentities as JsonObject | undefined) ?? {});
  if (identity.type === "None") {
    if (!allowNone) throw errors.validation("'ImageTemplate.identity': a user assigned identity is required");
    if (uais.length > 0)
      throw errors.validation("'ImageTemplate.identity': type 'None' cannot list userAssignedIdentities");
    return;
  }
  if (uais.length !== 1) {
    throw errors.validation(
      `'ImageTemplate.identity': exactly one user assigned identity must be specified, got ${uais.length}`,
    );
  }
}

/** runOutputName must be unique across distributors (it names the run outputs). */
export function checkDistribute(distribute: JsonObject[]): void {
  const seen = new Set<string>();
  for (const d of distribute) {
    const name = String(d.runOutputName).toLowerCase();
    if (seen.has(name)) {
      throw errors.validation(
        `'ImageTemplate.properties.distribute': duplicate runOutputName '${String(d.runOutputName)}'`,
      );
    }
    seen.add(name);
  }
}
