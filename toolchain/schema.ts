import * as t from "io-ts";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { SETTINGS, type SettingName } from "../provider/azure/credentials";
import { type CodecShape as Shape, stringMap } from "../provider/codecs/combinators";
import { ImageTemplateArgsCodec } from "../provider/image-template/codecs/args";
import { ARG_ENTRIES, ARGUMENTS, BUILD_OUTPUTS, memberAt, OUTPUTS } from "../provider/image-template/properties";
import { TriggerArgsCodec } from "../provider/trigger/codecs";
import { packageRoot } from "../provider/load";
import { PACKAGE_NAME } from "../plugin/requests";

/*
 * The plugin's Pulumi package schema (plugin/schema.json), from the same sources as the dynamic resource's TypeScript
 * types: the codecs give each member's shape, the property table its doc and whether a change replaces. Written by
 * `npm run docs` (toolchain/docs.ts); test/unit/docs.test.ts fails when the checked-in file differs.
 */

export const SCHEMA_FILE = "plugin/schema.json";

type Spec = Record<string, unknown>;
const token = (name: string) => `${PACKAGE_NAME}:index:${name}`;
const ref = (name: string) => ({ $ref: `#/types/${token(name)}` });
const pascal = (s: string) => s[0].toUpperCase() + s.slice(1);

/** The schema type of a scalar codec (docs.ts's scalarType, in the schema's terms). */
function scalarSpec(codec: t.Mixed): Spec {
  if (codec instanceof t.LiteralType) return { type: "string", const: codec.value };
  if (codec === t.boolean) return { type: "boolean" };
  if (codec === stringMap) return { type: "object", additionalProperties: { type: "string" } };
  if (codec.name.startsWith("an integer")) return { type: "integer" };
  if (codec.name === "a positive number") return { type: "number" };
  if (codec.name === "JSON value") return { $ref: "pulumi.json#/Any" };
  return { type: "string" };
}

/**
 * The schema type of the member at `path` (a property-table path), registering a named object type (`name`) in
 * `types` for each object and union member, as docs.ts names the TypeScript interfaces.
 */
function typeSpec(codec: t.Mixed, at: string, name: string, types: Spec, doc: string | undefined): Spec {
  const shape = codec as unknown as Shape;
  if (shape.item) return { type: "array", items: typeSpec(shape.item, `${at}[]`, name, types, doc) };
  if (shape.members) {
    const mapping: Record<string, string> = {};
    const oneOf = Object.entries(shape.members).map(([tag, member]) => {
      const spec = typeSpec(member, at, `${name}${pascal(tag)}`, types, doc) as { $ref: string };
      mapping[tag] = spec.$ref;
      return spec;
    });
    return { oneOf, discriminator: { propertyName: shape.tag, mapping } };
  }
  if (shape.required && shape.optional && shape.keys) {
    const properties: Spec = {};
    for (const key of shape.keys) {
      const member = `${at}.${key}`;
      const entry = memberAt(member);
      const spec = typeSpec(
        shape.required[key] ?? shape.optional[key],
        member,
        `${name}${pascal(key)}`,
        types,
        entry?.doc,
      );
      properties[key] = { ...spec, ...(entry ? { description: entry.doc } : {}) };
    }
    types[token(name)] = {
      type: "object",
      ...(doc ? { description: doc } : {}),
      properties,
      required: Object.keys(shape.required),
    };
    return ref(name);
  }
  return scalarSpec(codec);
}

const codecOf = (codec: { required: t.Props; optional: t.Props }, key: string) =>
  codec.required[key] ?? codec.optional[key];

/** ImageTemplate: every argument from the codec and the table, the service's outputs and the build results. */
function imageTemplate(types: Spec): Spec {
  const inputs: Spec = {};
  for (const [key, argument] of ARG_ENTRIES) {
    inputs[key] = {
      ...typeSpec(codecOf(ImageTemplateArgsCodec, key), key, pascal(key), types, argument.doc),
      description: argument.doc,
      ...(argument.change === "replace" ? { replaceOnChanges: true } : {}),
    };
  }
  types[token("RunOutput")] = {
    type: "object",
    description: "One distribute target's artifact of a successful build.",
    properties: {
      artifactId: { type: "string", description: "The managed image or gallery image version id." },
      artifactUri: { type: "string", description: "The VHD's URI." },
    },
  };
  const buildOutputs: Record<keyof typeof BUILD_OUTPUTS, Spec> = {
    runOutputs: { type: "object", additionalProperties: ref("RunOutput") },
    buildPending: { type: "boolean" },
    lastBuildLog: { type: "string" },
    lastBuildError: { type: "string" },
  };
  const properties: Spec = { ...inputs };
  for (const [key, output] of Object.entries(OUTPUTS)) properties[key] = { type: "string", description: output.doc };
  for (const [key, output] of Object.entries(BUILD_OUTPUTS)) {
    properties[key] = { ...buildOutputs[key as keyof typeof BUILD_OUTPUTS], description: output.doc };
  }
  const requiredInputs = Object.keys(ImageTemplateArgsCodec.required).filter(
    (k) => !ARGUMENTS[k as keyof typeof ARGUMENTS].resolved,
  );
  const resolved = ARG_ENTRIES.filter(([, a]) => a.resolved).map(([k]) => k);
  return {
    description:
      "An Azure VM Image Builder template (Microsoft.VirtualMachineImages/imageTemplates, API 2025-10-01). Changes to tags, identity, vmProfile and distribute are applied in place (PATCH); any other change replaces the template. With `build`, `pulumi up` also runs the image build and exposes its artifacts as `runOutputs`.",
    inputProperties: inputs,
    requiredInputs,
    properties,
    required: [...new Set([...Object.keys(ImageTemplateArgsCodec.required), ...resolved, "resourceId"])],
  };
}

/** The trigger's docs (its codec's members; every one replaces: the service has no PATCH for triggers). */
const TRIGGER_DOCS: Record<string, string> = {
  resourceGroupName: "Resource group of the template.",
  imageTemplateName: "The template the trigger builds; it must be provisioned with a floating (`latest`) source.",
  triggerName: "The trigger's name (`^[A-Za-z0-9-_.]{1,64}$`); a template holds one trigger.",
  kind: "`SourceImage`, the only kind: build when a new version of the source image is published.",
  subscriptionId:
    "Subscription (a GUID). Default: `azure-imagebuilder:subscriptionId`, `AZURE_SUBSCRIPTION_ID`, `ARM_SUBSCRIPTION_ID`, else the Azure CLI's default subscription.",
  resourceId: "The trigger's ARM resource id (also the Pulumi id).",
  provisioningState: "`Creating`, `Succeeded`, `Failed`, `Deleting` or `Canceled`.",
  statusCode:
    "The trigger's status: e.g. Healthy, or Disabled after repeated failed builds (the service's status code).",
  statusMessage: "The service's message about the trigger's status.",
  statusTime: "When the status was last updated (ISO 8601).",
};

function imageTemplateTrigger(types: Spec): Spec {
  const inputs: Spec = {};
  for (const key of TriggerArgsCodec.keys) {
    const spec = typeSpec(codecOf(TriggerArgsCodec, key), key, pascal(key), types, undefined);
    inputs[key] = { ...spec, description: TRIGGER_DOCS[key], replaceOnChanges: true };
  }
  const outputs = ["resourceId", "provisioningState", "statusCode", "statusMessage", "statusTime"];
  return {
    description:
      "A SourceImage trigger of an image template: the service builds the template whenever a new version of its source image is published. Every argument is create-only: a change replaces the trigger (deleting the old one first; a template has one trigger).",
    inputProperties: inputs,
    requiredInputs: Object.keys(TriggerArgsCodec.required),
    properties: {
      ...inputs,
      ...Object.fromEntries(outputs.map((k) => [k, { type: "string", description: TRIGGER_DOCS[k] }])),
    },
    required: [...TriggerArgsCodec.keys, "resourceId"],
  };
}

/** Sign-in settings whose values are secrets. */
const SECRET_SETTINGS: ReadonlySet<SettingName> = new Set([
  "clientSecret",
  "clientCertificatePassword",
  "oidcToken",
  "oidcRequestToken",
]);

/** The provider's configuration: azure-native's settings in this package's namespace, each with its variables. */
function configuration(): Spec {
  return Object.fromEntries(
    (Object.entries(SETTINGS) as [SettingName, readonly string[]][]).map(([name, variables]) => [
      name,
      {
        type: "string",
        description: `\`${PACKAGE_NAME}:${name}\`, as azure-native's \`azure-native:${name}\`; else the environment variable ${variables.map((v) => `\`${v}\``).join(" or ")}.`,
        ...(SECRET_SETTINGS.has(name) ? { secret: true } : {}),
      },
    ]),
  );
}

export function packageSchema(root = packageRoot()): Spec {
  const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as Spec;
  const types: Spec = {};
  const resources = {
    [token("ImageTemplate")]: imageTemplate(types),
    [token("ImageTemplateTrigger")]: imageTemplateTrigger(types),
  };
  const config = configuration();
  return {
    name: PACKAGE_NAME,
    displayName: "Azure VM Image Builder",
    version: manifest.version,
    description:
      "Azure VM Image Builder templates with honest update-or-replace diffs, image builds from pulumi up with their logs, and adoption of existing templates.",
    keywords: ["pulumi", "azure", "image-builder", "category/cloud", "kind/native"],
    homepage: manifest.homepage,
    license: manifest.license,
    repository: "https://github.com/pulumi-azure-imagebuilder/pulumi-azure-imagebuilder",
    publisher: "pulumi-azure-imagebuilder",
    config: { variables: config },
    provider: {
      description: "The azure-imagebuilder provider: Azure sign-in, subscription, default location and cloud.",
      inputProperties: config,
    },
    types: Object.fromEntries(Object.entries(types).sort(([a], [b]) => a.localeCompare(b))),
    resources,
    language: {
      nodejs: { packageName: "@pulumi-azure-imagebuilder/azure-imagebuilder", respectSchemaVersion: true },
      python: { packageName: "pulumi_azure_imagebuilder", respectSchemaVersion: true },
      go: {
        importBasePath: "github.com/pulumi-azure-imagebuilder/pulumi-azure-imagebuilder/sdk/go/azureimagebuilder",
        respectSchemaVersion: true,
      },
      csharp: { rootNamespace: "PulumiAzureImageBuilder", respectSchemaVersion: true },
    },
  };
}

/** The checked-in file's text (formatted by docs.ts as prettier wants it). */
export const schemaText = (): string => `${JSON.stringify(packageSchema(), null, 2)}\n`;
