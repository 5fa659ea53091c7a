import { isRecord } from "../property-bag";
import { parseTemplateId } from "./address";
import { withoutMarker } from "./ownership";
import type { ImageTemplate, ImageTemplateUpdateParameters } from "@azure/arm-imagebuilder";
import type { ArgKey, ImageTemplateInputs } from "./codecs/args";
import { ARG_ENTRIES, identityTypeOf, type Argument, type Output, type OutputKey, OUTPUTS } from "./properties";

type Args = Partial<ImageTemplateInputs>;

/** Removes undefined members at every depth (the SDK's deserializers emit every member, set or not). */
export function deepCompact<T>(value: T): T {
  if (Array.isArray(value)) return value.map(deepCompact) as T;
  if (value instanceof Date || typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, deepCompact(v)]),
  ) as T;
}

type Json = Record<string, unknown>;

const segments = (path: string) => path.split(".");

function getAt(body: unknown, path: string): unknown {
  return segments(path).reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), body);
}

function setAt(body: Json, path: string, value: unknown): void {
  const keys = segments(path);
  let node = body;
  for (const key of keys.slice(0, -1)) node = (isRecord(node[key]) ? node[key] : (node[key] = {})) as Json;
  node[keys[keys.length - 1]] = value;
}

/** The arguments that live in the template's ARM body, with their wire path. */
const ARM_ARGS = ARG_ENTRIES.filter(([, a]) => a.arm !== undefined) as [ArgKey, Argument & { arm: string }][];

/** Arguments → the wire ARM body ({location, tags, identity, properties}); the identity type is the effective one. */
function armBody(args: Args): Json {
  const body: Json = {};
  const values: Json = { ...args, identityType: identityTypeOf(args) };
  for (const [key, { arm, mapKeys }] of ARM_ARGS) {
    const value = values[key];
    if (value === undefined) continue;
    if (mapKeys) {
      if ((value as string[]).length > 0)
        setAt(body, arm, Object.fromEntries((value as string[]).map((id) => [id, {}])));
    } else setAt(body, arm, value);
  }
  return body;
}

/** The SDK's models flatten `properties` into the resource; the wire nests them. */
const flatten = ({ properties, ...rest }: Json): Json => ({ ...rest, ...(properties as Json | undefined) });
function nest(model: Json): Json {
  const { id, location, tags, identity, ...properties } = model;
  return { id, location, tags, identity, properties };
}

/** Arguments → the SDK's (flattened) ImageTemplate model sent by PUT. */
export function toImageTemplate(args: ImageTemplateInputs): ImageTemplate {
  return flatten(armBody(args)) as unknown as ImageTemplate;
}

/** Read-only members reported inside an argument's value (source.exactVersion): outputs, not arguments. */
const NESTED_OUTPUTS = Object.values(OUTPUTS as Record<string, Output>).map((o) => o.arm);

function withoutOutputs(value: unknown, arm: string): unknown {
  const nested = NESTED_OUTPUTS.filter((o) => o.startsWith(`${arm}.`)).map((o) => segments(o.slice(arm.length + 1)));
  if (!isRecord(value) || nested.length === 0) return value;
  const copy = structuredClone(value);
  for (const keys of nested) {
    const parent = keys.length > 1 ? getAt(copy, keys.slice(0, -1).join(".")) : copy;
    if (isRecord(parent)) delete parent[keys[keys.length - 1]];
  }
  return copy;
}

/** The service's view of a template as arguments (read-only members stripped; address parsed from its id). */
export function argsFromImageTemplate(template: ImageTemplate): Args {
  const wire = nest(deepCompact(template) as unknown as Json);
  const args: Json = { ...(typeof wire.id === "string" ? parseTemplateId(wire.id) : undefined) };
  for (const [key, { arm, mapKeys }] of ARM_ARGS) {
    const value = getAt(wire, arm);
    if (value !== undefined) args[key] = mapKeys && isRecord(value) ? Object.keys(value) : withoutOutputs(value, arm);
  }
  // The ownership marker is the provider's, not an argument.
  const tag = withoutMarker(args.tag as Record<string, string> | undefined);
  if (tag === undefined) delete args.tag;
  else args.tag = tag;
  return args as Args;
}

export type ComputedOutputs = { [K in OutputKey]?: string };

/** Read-only state of a template, as the resource's computed outputs (cmdlet's read-only parameters included). */
/** The service's `endTime` while a build runs or cancels: .NET's DateTime.MinValue, meaning "not ended yet". */
const NOT_ENDED = Date.parse("0001-01-01T00:00:00Z");

export function outputsFromImageTemplate(template: Partial<ImageTemplate>): ComputedOutputs {
  const wire = nest(template as Json);
  const outputs: Json = {};
  for (const [key, output] of Object.entries(OUTPUTS as Record<string, Output>)) {
    const value = getAt(wire, output.arm);
    if (value instanceof Date && value.getTime() === NOT_ENDED) continue;
    if (value !== undefined) outputs[key] = output.date && value instanceof Date ? value.toISOString() : value;
  }
  return outputs as ComputedOutputs;
}

/** The part of the body PATCH replaces as a whole: a top-level member, or a member of `properties`. */
const patchGroup = (arm: string) =>
  segments(arm)
    .slice(0, arm.startsWith("properties.") ? 2 : 1)
    .join(".");

/**
 * The PATCH body for the changed in-place arguments. Each changed part (tags, identity, properties.vmProfile,
 * properties.distribute) is sent whole as desired, with the table's reset value for members set before and removed
 * now (PATCH merges, so omitting them would keep the old values); a part left empty is sent as {}. Only the program's
 * values and resets are sent: never what the service filled in.
 */
export function toUpdateParameters(
  olds: Args,
  news: Args,
  changed: ReadonlySet<ArgKey>,
): ImageTemplateUpdateParameters {
  const groups = new Set(ARM_ARGS.filter(([k]) => changed.has(k)).map(([, a]) => patchGroup(a.arm)));
  const desired: Json = { ...news };
  for (const [key, { arm, reset }] of ARM_ARGS) {
    // A member already at its reset value (the service's own answer, osDiskSizeGB 0) has nothing to reset.
    const set = olds[key] !== undefined && JSON.stringify(olds[key]) !== JSON.stringify(reset);
    if (groups.has(patchGroup(arm)) && news[key] === undefined && set && reset !== undefined) desired[key] = reset;
  }
  const whole = armBody(desired as Args);
  const body: Json = {};
  for (const group of groups) setAt(body, group, getAt(whole, group) ?? {});
  return body as ImageTemplateUpdateParameters;
}
