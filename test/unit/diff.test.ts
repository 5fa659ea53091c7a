import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type * as t from "io-ts";
import { ARG_KEYS, type ArgKey, ImageTemplateArgsCodec } from "../../provider/image-template/codecs/args";
import { UNKNOWN } from "../../provider/codecs/combinators";
import { diffInputs } from "../../provider/image-template/plan";
import { maximalArgs, minimalArgs, OTHER_SOURCES } from "./fixtures/args";

type Expectation = "update" | "replace" | "none";

/**
 * Where each argument lives in the ARM resource (Update-AzImageBuilderVirtualMachineImageTemplate's expanded
 * parameters, see the README's cmdlet table). The expectations below follow from these paths and the service's rules,
 * not from provider/image-template/diff.ts.
 */
const ARM_PATH: Record<ArgKey, string> = {
  imageTemplateName: "(resource id)",
  resourceGroupName: "(resource id)",
  subscriptionId: "(resource id)",
  location: "location",
  tag: "tags",
  identityType: "identity.type",
  identityUserAssignedIdentity: "identity.userAssignedIdentities",
  buildTimeoutInMinute: "properties.buildTimeoutInMinutes",
  customize: "properties.customize",
  distribute: "properties.distribute",
  source: "properties.source",
  vmProfileOsdiskSizeGb: "properties.vmProfile.osDiskSizeGB",
  vmProfileVmsize: "properties.vmProfile.vmSize",
  vmProfileUserAssignedIdentities: "properties.vmProfile.userAssignedIdentities",
  vnetConfigSubnetId: "properties.vmProfile.vnetConfig.subnetId",
  vnetConfigContainerInstanceSubnetId: "properties.vmProfile.vnetConfig.containerInstanceSubnetId",
  vnetConfigProxyVmSize: "properties.vmProfile.vnetConfig.proxyVmSize",
  validate: "properties.validate",
  optimize: "properties.optimize",
  errorHandling: "properties.errorHandling",
  stagingResourceGroup: "properties.stagingResourceGroup",
  additionalDataDisks: "properties.additionalDataDisks",
  autoRun: "properties.autoRun",
  managedResourceTags: "properties.managedResourceTags",
  adoptExisting: "(provider only: steers create)",
  build: "(provider setting: steers the build step)",
};

type Schema = { $ref?: string; properties?: Record<string, Schema> };
const definitions = (
  JSON.parse(readFileSync(path.resolve(__dirname, "../../reference/imagebuilder-2025-10-01/openapi.json"), "utf8")) as {
    definitions: Record<string, Schema>;
  }
).definitions;
const resolve = (s: Schema): Schema => (s.$ref ? resolve(definitions[s.$ref.split("/").pop()!]) : s);

/** Whether the PATCH body (ImageTemplateUpdateParameters in the API description) has a member at this path. */
function patchable(armPath: string): boolean {
  let schema: Schema | undefined = definitions.ImageTemplateUpdateParameters;
  for (const segment of armPath.split(".")) schema = schema && resolve(schema).properties?.[segment];
  return schema !== undefined;
}

/**
 * The release notes (2024-02-01) name the vmProfile members PATCH changes; the schema accepts all of vmProfile, but
 * proxyVmSize is not among them, so it replaces.
 */
const RELEASE_NOTES_VM_PROFILE = [
  "vmSize",
  "osDiskSizeGB",
  "userAssignedIdentities",
  "vnetConfig.subnetId",
  "vnetConfig.containerInstanceSubnetId",
];

function expectation(key: ArgKey): Expectation {
  const at = ARM_PATH[key];
  if (at.startsWith("(provider only")) return "none";
  // Build settings are recorded by an update, never a replacement (a changed trigger makes that update build).
  if (at.startsWith("(provider setting")) return "update";
  if (!patchable(at)) return "replace";
  const vmProfile = at.startsWith("properties.vmProfile.") ? at.slice("properties.vmProfile.".length) : undefined;
  return vmProfile === undefined || RELEASE_NOTES_VM_PROFILE.includes(vmProfile) ? "update" : "replace";
}
const EXPECTED = Object.fromEntries(ARG_KEYS.map((k) => [k, expectation(k)])) as Record<ArgKey, Expectation>;

/** Every member path the codecs define, e.g. "distribute[].targetRegions[].replicaCount". */
function codecPaths(codec: t.Mixed, prefix: string, out: Set<string>): Set<string> {
  const c = codec as t.Mixed & {
    required?: t.Props;
    optional?: t.Props;
    item?: t.Mixed;
    members?: Record<string, t.Mixed>;
  };
  if (c.required && c.optional) {
    for (const [key, member] of Object.entries({ ...c.required, ...c.optional })) {
      const path = prefix ? `${prefix}.${key}` : key;
      out.add(path);
      codecPaths(member, path, out);
    }
  } else if (c.item) codecPaths(c.item, `${prefix}[]`, out);
  else if (c.members) for (const member of Object.values(c.members)) codecPaths(member, prefix, out);
  return out;
}

interface Leaf {
  path: (string | number)[];
  value: unknown;
}

function leaves(value: unknown, path: (string | number)[] = []): Leaf[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, i]));
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  }
  return [{ path, value }];
}

const generic = (path: (string | number)[]) =>
  path
    .map((p) => (typeof p === "number" ? "[]" : `.${p}`))
    .join("")
    .replace(/^\./, "")
    .replace(/\.\[\]/g, "[]");

function mutate(args: Record<string, unknown>, leaf: Leaf): Record<string, unknown> {
  const copy = structuredClone(args);
  let node = copy as Record<string | number, unknown>;
  for (const key of leaf.path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const v = leaf.value;
  node[leaf.path[leaf.path.length - 1]] =
    typeof v === "string" ? `${v}x` : typeof v === "number" ? v + 1 : typeof v === "boolean" ? !v : "changed";
  return copy;
}

function expectDiff(olds: Record<string, unknown>, news: Record<string, unknown>, key: ArgKey, what: string) {
  const d = diffInputs(olds, news);
  const expected = EXPECTED[key];
  assert.equal(d.changes, expected !== "none", `${what}: changes`);
  assert.deepEqual(d.replaces, expected === "replace" ? [key] : [], `${what}: replaces`);
  assert.deepEqual(d.updates, expected === "update" ? [key] : [], `${what}: updates`);
}

describe("diff: classification of every property", () => {
  const fixtures = [maximalArgs(), ...OTHER_SOURCES.map((source) => ({ ...maximalArgs(), source }))];

  it("the ARM path table and the fixtures cover every argument and every nested member of the codecs", () => {
    assert.deepEqual(Object.keys(ARM_PATH).sort(), [...ARG_KEYS].sort());
    // The rules above give the service's documented PATCH set: tags, identity, vmProfile (minus proxyVmSize), distribute.
    assert.deepEqual(ARG_KEYS.filter((k) => EXPECTED[k] === "update" && k !== "build").sort(), [
      "distribute",
      "identityType",
      "identityUserAssignedIdentity",
      "tag",
      "vmProfileOsdiskSizeGb",
      "vmProfileUserAssignedIdentities",
      "vmProfileVmsize",
      "vnetConfigContainerInstanceSubnetId",
      "vnetConfigSubnetId",
    ]);
    const covered = new Set(
      fixtures.flatMap((f) => leaves(f).flatMap((l) => l.path.map((_, i) => generic(l.path.slice(0, i + 1))))),
    );
    const missing = [...codecPaths(ImageTemplateArgsCodec, "", new Set())].filter((p) => !covered.has(p));
    assert.deepEqual(missing, []);
  });

  it("changing any leaf value classifies as its top-level argument requires", () => {
    let checked = 0;
    for (const fixture of fixtures) {
      for (const leaf of leaves(fixture)) {
        expectDiff(fixture, mutate(fixture, leaf), leaf.path[0] as ArgKey, generic(leaf.path));
        checked++;
      }
    }
    assert.ok(checked > 100, `only ${checked} leaves`);
  });

  it("removing or adding each optional argument classifies the same way", () => {
    const full = maximalArgs();
    for (const key of Object.keys(ImageTemplateArgsCodec.optional) as ArgKey[]) {
      if (full[key] === undefined || key === "imageTemplateName" || key === "subscriptionId") continue;
      const without = { ...full, [key]: undefined };
      if (key === "identityType") {
        // Derived from the ids when omitted: dropping "UserAssigned" next to one id changes nothing.
        assert.equal(diffInputs(full, without).changes, false);
        continue;
      }
      expectDiff(full, without, key, `remove ${key}`);
      expectDiff(without, full, key, `add ${key}`);
    }
  });

  it("an unknown (preview) value is a change of that argument", () => {
    for (const key of ARG_KEYS) {
      expectDiff(maximalArgs(), { ...maximalArgs(), [key]: UNKNOWN }, key, `unknown ${key}`);
    }
  });
});

describe("diff: no spurious changes", () => {
  it("reports nothing for identical arguments, and ignores computed outputs and __provider in olds", () => {
    const olds = { ...maximalArgs(), provisioningState: "Succeeded", resourceId: "/x", __provider: "a" };
    assert.deepEqual(diffInputs(olds, { ...maximalArgs(), __provider: "b" }), {
      changes: false,
      replaces: [],
      updates: [],
      deleteBeforeReplace: false,
    });
  });

  it("treats service-filled defaults as equal to omitted values", () => {
    const news = {
      ...minimalArgs(),
      customize: [{ type: "PowerShell", inline: ["x"] }],
      validate: { inVMValidations: [{ type: "Shell", inline: ["x"] }] },
    };
    const filled = {
      ...news,
      buildTimeoutInMinute: 0,
      vmProfileOsdiskSizeGb: 0,
      vmProfileVmsize: "",
      customize: [{ type: "PowerShell", inline: ["x"], runElevated: false, runAsSystem: false, sha256Checksum: "" }],
      validate: {
        continueDistributeOnFailure: false,
        sourceValidationOnly: false,
        inVMValidations: [{ type: "Shell", inline: ["x"], sha256Checksum: "" }],
      },
      errorHandling: { onCustomizerError: "cleanup", onValidationError: "cleanup" },
      tag: {},
      identityType: "UserAssigned",
    };
    assert.equal(diffInputs(filled, news).changes, false);
  });

  it("compares ARM ids and names case-insensitively and regions by their canonical spelling", () => {
    const olds = minimalArgs();
    const news = structuredClone(olds) as Record<string, unknown>;
    news.location = "West US";
    news.resourceGroupName = "RG1";
    news.identityUserAssignedIdentity = [(olds.identityUserAssignedIdentity as string[])[0].toLowerCase()];
    (news.distribute as Record<string, unknown>[])[0].imageId = String(
      (olds.distribute as Record<string, unknown>[])[0].imageId,
    ).toUpperCase();
    assert.equal(diffInputs(olds, news).changes, false);
  });

  it("does not care about the order of identity lists", () => {
    const a = [
      "/subscriptions/s/resourceGroups/r/providers/Microsoft.ManagedIdentity/userAssignedIdentities/a",
      "/subscriptions/s/resourceGroups/r/providers/Microsoft.ManagedIdentity/userAssignedIdentities/b",
    ];
    const olds = { ...minimalArgs(), vmProfileUserAssignedIdentities: a };
    assert.equal(diffInputs(olds, { ...olds, vmProfileUserAssignedIdentities: [...a].reverse() }).changes, false);
  });

  it("keeps the order of customizers significant", () => {
    const steps = [
      { type: "Shell", inline: ["a"] },
      { type: "Shell", inline: ["b"] },
    ];
    const olds = { ...minimalArgs(), customize: steps };
    assert.deepEqual(diffInputs(olds, { ...olds, customize: [...steps].reverse() }).replaces, ["customize"]);
  });
});

describe("diff: replacement order", () => {
  const change = { source: OTHER_SOURCES[0] };

  it("deletes first when the user fixed the name (two templates of one name cannot coexist)", () => {
    assert.equal(diffInputs(minimalArgs(), { ...minimalArgs(), ...change }).deleteBeforeReplace, true);
  });

  it("creates first when the name is autonamed (the replacement gets a fresh name)", () => {
    const olds = { ...minimalArgs(), __defaults: ["imageTemplateName"] };
    assert.equal(diffInputs(olds, { ...olds, ...change }).deleteBeforeReplace, false);
  });

  it("creates first when a fixed name moves to another name or resource group", () => {
    assert.equal(
      diffInputs(minimalArgs(), { ...minimalArgs(), imageTemplateName: "tpl-2" }).deleteBeforeReplace,
      false,
    );
    assert.equal(
      diffInputs(minimalArgs(), { ...minimalArgs(), resourceGroupName: "rg2", ...change }).deleteBeforeReplace,
      false,
    );
  });

  it("never asks for deleteBeforeReplace on in-place updates", () => {
    assert.equal(diffInputs(minimalArgs(), { ...minimalArgs(), tag: { a: "b" } }).deleteBeforeReplace, false);
  });
});
