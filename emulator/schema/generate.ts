/**
 * Derives the JSON Schema the emulator validates request bodies with from Microsoft's published Image Builder
 * OpenAPI description (MIT licensed). Run it when the spec changes:
 *
 *   npx ts-node emulator/schema/generate.ts reference/imagebuilder-2025-10-01/openapi.json \
 *     emulator/schema/imagebuilder-2025-10-01.schema.json
 *
 * Why a committed, derived file rather than reading the spec at run time: the emulator ships in the npm package and
 * must not need the repository's reference/ folder, while a test regenerates the schema from it and compares, so the
 * copy cannot drift. The conversion: swagger `allOf` inheritance is flattened, each `discriminator` base becomes an
 * enum on the discriminator plus if/then branches to the concrete types, every object without a map type gets
 * `additionalProperties: false` (the service rejects unknown and mis-cased fields since API 2024-02-01), and the ARM
 * common-types the spec references by relative path (TrackedResource, ProxyResource) are written out here.
 */
import { readFileSync, writeFileSync } from "node:fs";

type Schema = { [key: string]: unknown };
interface SwaggerDefinition {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  allOf?: { $ref: string }[];
  discriminator?: string;
  "x-ms-discriminator-value"?: string;
  additionalProperties?: Schema | boolean;
  [key: string]: unknown;
}

/** ARM common-types v3 as referenced by the spec (`../common-types/resource-management/v3/types.json`). */
const resourceProperties: Record<string, Schema> = {
  id: { type: "string", readOnly: true },
  name: { type: "string", readOnly: true },
  type: { type: "string", readOnly: true },
  systemData: { type: "object", readOnly: true },
};
const COMMON: Record<string, SwaggerDefinition> = {
  ProxyResource: { properties: resourceProperties },
  TrackedResource: {
    properties: {
      ...resourceProperties,
      tags: { type: "object", additionalProperties: { type: "string" } },
      location: { type: "string" },
    },
    required: ["location"],
  },
};

const KEPT_KEYWORDS = ["type", "enum", "pattern", "minimum", "maximum", "readOnly"] as const;

export function generateSchema(openapi: { definitions: Record<string, SwaggerDefinition> }): Schema {
  const defs = openapi.definitions;
  const refName = (ref: string) => ref.slice(ref.lastIndexOf("/") + 1);
  const lookup = (ref: string): SwaggerDefinition => {
    const name = refName(ref);
    const def = ref.startsWith("#/") ? defs[name] : COMMON[name];
    if (!def) throw new Error(`unresolved $ref ${ref}`);
    return def;
  };

  const convert = (s: Schema): Schema => {
    if (typeof s.$ref === "string") return { $ref: `#/definitions/${refName(s.$ref)}` };
    const out: Schema = {};
    for (const k of KEPT_KEYWORDS) if (s[k] !== undefined) out[k] = s[k];
    if (s.format === "date-time") out.format = "date-time";
    if (s.format === "int32")
      Object.assign(out, { minimum: s.minimum ?? -2147483648, maximum: s.maximum ?? 2147483647 });
    if (s.items) out.items = convert(s.items as Schema);
    if (s.properties || s.type === "object") {
      Object.assign(out, objectSchema(s as SwaggerDefinition));
    }
    return out;
  };

  /** Own and inherited properties/required of a definition (inheritance via local or common allOf refs). */
  const collect = (d: SwaggerDefinition): { properties: Record<string, Schema>; required: string[] } => {
    const properties: Record<string, Schema> = {};
    const required: string[] = [];
    for (const parent of d.allOf ?? []) {
      const inherited = collect(lookup(parent.$ref));
      Object.assign(properties, inherited.properties);
      required.push(...inherited.required);
    }
    Object.assign(properties, d.properties ?? {});
    required.push(...(d.required ?? []));
    return { properties, required };
  };

  const objectSchema = (d: SwaggerDefinition): Schema => {
    const { properties, required } = collect(d);
    const out: Schema = { type: "object" };
    if (Object.keys(properties).length > 0) {
      out.properties = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, convert(v)]));
    }
    if (required.length > 0) out.required = [...new Set(required)];
    if (d.additionalProperties !== undefined && d.additionalProperties !== false) {
      out.additionalProperties = d.additionalProperties === true ? true : convert(d.additionalProperties);
    } else if (d.properties || d.allOf) {
      out.additionalProperties = false;
    }
    return out;
  };

  const subtypesOf = (base: string) =>
    Object.entries(defs).filter(
      ([, d]) => d["x-ms-discriminator-value"] && d.allOf?.some((p) => refName(p.$ref) === base),
    );

  const definitions: Record<string, Schema> = {};
  for (const [name, d] of Object.entries(defs)) {
    if (d.discriminator) {
      const disc = d.discriminator;
      const subs = subtypesOf(name);
      definitions[name] = {
        type: "object",
        required: [disc],
        properties: { [disc]: { type: "string", enum: subs.map(([, s]) => s["x-ms-discriminator-value"]) } },
        allOf: subs.map(([subName, s]) => ({
          if: { properties: { [disc]: { const: s["x-ms-discriminator-value"] } } },
          then: { $ref: `#/definitions/${subName}` },
        })),
      };
    } else if (d.type === "object" || d.properties || d.allOf) {
      definitions[name] = objectSchema(d);
    } else {
      definitions[name] = convert(d);
    }
  }
  return {
    $comment: "Generated by emulator/schema/generate.ts from Microsoft's Image Builder 2025-10-01 OpenAPI description.",
    definitions,
  };
}

if (require.main === module) {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) throw new Error("usage: generate.ts <openapi.json> <out.schema.json>");
  const schema = generateSchema(JSON.parse(readFileSync(input, "utf8")));
  writeFileSync(output, `${JSON.stringify(schema, null, 2)}\n`);
}
