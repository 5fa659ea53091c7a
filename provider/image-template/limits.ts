/**
 * Azure's own limits across members, checked in `check` so the PUT never carries what ARM or the service would
 * refuse (or what would cost seven uploads of 5 MB before failing): tag limits, int32 integers, the 4 MiB request
 * body and region names. Lengths of single members are the codecs' (provider/codecs/bounds.ts); depth, member names
 * and prototype keys are shape.ts's, checked before anything here.
 */
import { type Failure, isUnknown } from "../codecs/combinators";
import { INT32, MAX_BODY_BYTES, TAG_LIMITS } from "../codecs/bounds";
import type { ImageTemplateInputs } from "./codecs/args";
import { isRecord, type PropertyBag } from "../property-bag";
import { toImageTemplate } from "./mapping";

/** Region names as ARM accepts them for a resource's location: letters, digits and spaces ("westus2", "West US 2"). */
export const REGION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ]*$/;

const child = (path: string, key: string | number) =>
  typeof key === "number" ? `${path}[${key}]` : path === "" ? key : `${path}.${key}`;

/**
 * `count`: the template's own tags leave one place to the ownership marker (provider/ownership.ts). Tag names longer
 * than TAG_LIMITS.nameLength never get here: shape.ts refuses every member name beyond it.
 */
function tagFailures(tags: unknown, path: string, count = TAG_LIMITS.count): Failure[] {
  if (!isRecord(tags)) return [];
  const failures: Failure[] = [];
  const names = Object.keys(tags);
  if (names.length > count) {
    const why = count < TAG_LIMITS.count ? ` (Azure's ${TAG_LIMITS.count}, one kept for the ownership marker)` : "";
    failures.push({ property: path, reason: `must hold at most ${count} tags${why} (got ${names.length})` });
  }
  for (const name of names) {
    if (TAG_LIMITS.forbidden.test(name)) {
      failures.push({ property: child(path, name), reason: "tag names must not contain any of < > % & \\ ? /" });
    }
    const value = tags[name];
    if (typeof value === "string" && value.length > TAG_LIMITS.valueLength) {
      failures.push({
        property: child(path, name),
        reason: `tag values are at most ${TAG_LIMITS.valueLength} characters (got ${value.length})`,
      });
    }
  }
  return failures;
}

function int32Failures(value: unknown, path: string): Failure[] {
  if (typeof value === "number") {
    return Number.isInteger(value) && (value > INT32.max || value < INT32.min)
      ? [{ property: path, reason: `must be within the API's 32-bit integer range (${INT32.min} to ${INT32.max})` }]
      : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => int32Failures(v, child(path, i)));
  if (isRecord(value)) return Object.entries(value).flatMap(([k, v]) => int32Failures(v, child(path, k)));
  return [];
}

function regionFailure(value: unknown, path: string): Failure[] {
  if (typeof value !== "string" || isUnknown(value) || REGION_PATTERN.test(value)) return [];
  return [{ property: path, reason: 'must be an Azure region name: letters, digits and spaces (e.g. "westus2")' }];
}

const jsonBytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v) ?? "");

function bodySizeFailures(args: PropertyBag): Failure[] {
  let size: number;
  try {
    size = jsonBytes(toImageTemplate(args as ImageTemplateInputs));
  } catch {
    return []; // malformed arguments: the codecs report them
  }
  if (size <= MAX_BODY_BYTES) return [];
  const [largest] = Object.keys(args).sort((a, b) => jsonBytes(args[b]) - jsonBytes(args[a]));
  const mib = (size / 1024 / 1024).toFixed(1);
  return [
    {
      property: largest,
      reason: `makes the request body ${mib} MiB; Azure Resource Manager accepts at most 4 MiB per request (move large scripts or files to scriptUri/sourceUri)`,
    },
  ];
}

/** Every Azure limit the arguments break, each at its path; `args` are the user's arguments after `check` resolved them. */
export function azureLimitFailures(args: PropertyBag): Failure[] {
  const distribute = Array.isArray(args.distribute) ? args.distribute : [];
  return [
    ...tagFailures(args.tag, "tag", TAG_LIMITS.count - 1),
    ...tagFailures(args.managedResourceTags, "managedResourceTags"),
    ...distribute.flatMap((d: unknown, i) =>
      isRecord(d) ? tagFailures(d.artifactTags, `distribute[${i}].artifactTags`) : [],
    ),
    ...int32Failures(args, ""),
    // Only the template's own location: it names the ARM region (and the operation URL); distributor regions are
    // the service's business (Microsoft's own examples use placeholders such as "1_location" there).
    ...regionFailure(args.location, "location"),
    ...bodySizeFailures(args),
  ];
}
