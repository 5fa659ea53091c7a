import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { parseUrn, RESOURCES } from "../../plugin/provider";
import { PACKAGE_NAME, stackConfigRequest } from "../../plugin/requests";
import { conceal, reveal } from "../../plugin/values";
import * as imageTemplate from "../../provider/image-template/operations";
import * as trigger from "../../provider/trigger/operations";
import { ARGUMENTS } from "../../provider/image-template/properties";
import { packageRoot } from "../../provider/load";
import { packageSchema } from "../../toolchain/schema";
import { resolveBuild, withinTimeout } from "../../provider/image-template/build-settings";
import { detailOf } from "../../provider/property-changes";
import { minimalArgs } from "./fixtures/args";

const secret = (value: unknown) => ({ [specialSigKey]: specialSecretSig, value });

describe("plugin: what it adapts between the engine and the core", () => {
  it("serves each type token with the dynamic resources' own implementation modules", () => {
    assert.equal(RESOURCES["azure-imagebuilder:index:ImageTemplate"], imageTemplate);
    assert.equal(RESOURCES["azure-imagebuilder:index:ImageTemplateTrigger"], trigger);
    assert.deepEqual(Object.keys(RESOURCES).length, 2);
  });

  it("reads stack, project, type and name from a URN, the type after its parents and a name holding ::", () => {
    assert.deepEqual(parseUrn("urn:pulumi:dev::proj::azure-imagebuilder:index:ImageTemplate::web"), {
      stack: "dev",
      project: "proj",
      type: "azure-imagebuilder:index:ImageTemplate",
      name: "web",
    });
    assert.deepEqual(parseUrn("urn:pulumi:prod::p::my:comp:C$azure-imagebuilder:index:ImageTemplate::a::b"), {
      stack: "prod",
      project: "p",
      type: "azure-imagebuilder:index:ImageTemplate",
      name: "a::b",
    });
    assert.throws(() => parseUrn("web"), /not a resource URN: web/);
  });

  it("unwraps secrets at any depth, naming the top-level properties that held one", () => {
    const { plain, secretKeys } = reveal({
      tag: { env: "dev" },
      customize: [{ type: "Shell", inline: [secret("echo s3cret")] }],
      vmProfileVmsize: secret("Standard_D2s_v3"),
    });
    assert.deepEqual(plain, {
      tag: { env: "dev" },
      customize: [{ type: "Shell", inline: ["echo s3cret"] }],
      vmProfileVmsize: "Standard_D2s_v3",
    });
    assert.deepEqual(secretKeys.sort(), ["customize", "vmProfileVmsize"]);
    assert.deepEqual(reveal(undefined), { plain: {}, secretKeys: [] });
  });

  it("wraps the named properties as secrets again and drops undefined members for the wire", () => {
    const wire = conceal({ a: "x", b: { c: "y", d: undefined }, e: undefined, f: [1, undefined] }, ["b"]);
    assert.deepEqual(wire, { a: "x", b: secret({ c: "y" }), f: [1, null] });
    assert.deepEqual(reveal(wire).secretKeys, ["b"]);
  });

  it("hands the core its settings from the plugin's namespace where the dynamic provider reads azure-native's", () => {
    const request = stackConfigRequest({
      [`${PACKAGE_NAME}:config:subscriptionId`]: "sub",
      [`${PACKAGE_NAME}:config:clientSecret`]: "shh",
      "other:config:subscriptionId": "not-ours",
    });
    assert.equal(request.config.get("azure-native:subscriptionId"), "sub");
    assert.equal(request.config.get("azure-native:clientSecret"), "shh");
    assert.equal(request.config.get("azure-native:location"), undefined);
    assert.equal(request.config.get("other:subscriptionId"), undefined);
    assert.throws(() => request.config.require("azure-native:location"), /missing required configuration/);
  });
});

describe("plugin: what the engine exchanges with a plugin only", () => {
  it("details a decided diff per property: added, deleted or updated, replacing or not", () => {
    const olds = { tag: { a: "1" }, source: { sku: "a" }, customize: [1], build: null };
    const news = { tag: { a: "2" }, source: { sku: "b" }, build: { when: "onCreate" } };
    assert.deepEqual(detailOf(olds, news, ["tag", "build"], ["source", "customize"]), {
      tag: { kind: "update", replace: false },
      build: { kind: "add", replace: false },
      source: { kind: "update", replace: true },
      customize: { kind: "delete", replace: true },
    });
    assert.deepEqual(detailOf(olds, olds, [], []), {});
  });

  it("the template's and the trigger's diffs carry the detail of the plan's own decision", async () => {
    const olds = minimalArgs() as Record<string, unknown>;
    const source = { ...(olds.source as object), sku: "other" };
    const news = { ...olds, source, tag: { team: "web" } };
    const d = await imageTemplate.diff("id", olds, news);
    assert.deepEqual(d.replaces, ["source"]);
    assert.deepEqual(d.detailedDiff, {
      tag: { kind: "add", replace: false },
      source: { kind: "update", replace: true },
    });
    const address = { subscriptionId: "s", resourceGroupName: "rg", imageTemplateName: "t", kind: "SourceImage" };
    const moved = await trigger.diff("id", { ...address, triggerName: "a" }, { ...address, triggerName: "b" });
    assert.deepEqual(moved.detailedDiff, { triggerName: { kind: "update", replace: true } });
  });

  it("bounds the build's wait by what is left of the operation's customTimeouts, when that is shorter", () => {
    const settings = resolveBuild({ build: { when: "onCreate", timeoutMinutes: 10 } });
    assert.equal(withinTimeout(settings, undefined), settings);
    const timeout = { option: "customTimeouts.create", seconds: 120, since: 1_000_000 };
    assert.deepEqual(withinTimeout(settings, timeout, 1_000_000 + 30_000), {
      ...settings,
      timeoutMinutes: 1.5,
      timeoutBy: "customTimeouts.create of 120s",
    });
    assert.equal(withinTimeout(settings, timeout, 1_000_000 + 200_000).timeoutMinutes, 0);
    const long = { ...timeout, seconds: 3600 };
    assert.equal(withinTimeout(settings, long, 1_000_000), settings);
  });
});

describe("plugin: the package schema (toolchain/schema.ts)", () => {
  const schema = packageSchema() as {
    version: string;
    types: Record<string, unknown>;
    resources: Record<string, { inputProperties: Record<string, { replaceOnChanges?: boolean }> }>;
    config: { variables: Record<string, { secret?: boolean }> };
  };
  const template = schema.resources["azure-imagebuilder:index:ImageTemplate"];

  it("marks exactly the arguments whose change replaces, and every trigger argument", () => {
    for (const [key, argument] of Object.entries(ARGUMENTS)) {
      assert.equal(template.inputProperties[key].replaceOnChanges, argument.change === "replace" || undefined, key);
    }
    const trigger = schema.resources["azure-imagebuilder:index:ImageTemplateTrigger"];
    for (const [key, spec] of Object.entries(trigger.inputProperties)) assert.equal(spec.replaceOnChanges, true, key);
  });

  it("keeps the sign-in secrets secret and nothing else", () => {
    const secrets = Object.entries(schema.config.variables)
      .filter(([, v]) => v.secret)
      .map(([k]) => k);
    assert.deepEqual(secrets.sort(), ["clientCertificatePassword", "clientSecret", "oidcRequestToken", "oidcToken"]);
  });

  it("names only types it defines, and carries the package's version", () => {
    const refs = [...JSON.stringify(schema).matchAll(/"\$ref":"#\/types\/([^"]+)"/g)].map((m) => m[1]);
    assert.ok(refs.length > 20);
    for (const ref of refs) assert.ok(ref in schema.types, ref);
    assert.equal(schema.version, JSON.parse(readFileSync(path.join(packageRoot(), "package.json"), "utf8")).version);
  });
});
