/**
 * diff against the service's own rules, read from the API description (reference/imagebuilder-2025-10-01) rather
 * than from provider/image-template/diff.ts:
 * - a member the description gives a `default` means the same omitted or set to that default (the service fills some
 *   of them in its responses), and anything else is a change;
 * - ARM resource ids and names are case-insensitive, region names ignore case and spaces;
 * - members that are sets on the service side (identity maps, replication regions) ignore order.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { diffInputs } from "../../provider/image-template/plan";
import { plan } from "../../provider/image-template/plan";
import { GALLERY_IMAGE, minimalArgs, RG_ID, SUBNET, UAI, UAI_2 } from "./fixtures/args";

type Json = Record<string, unknown>;
const SPEC = path.resolve(__dirname, "../../reference/imagebuilder-2025-10-01/openapi.json");
const definitions = (JSON.parse(readFileSync(SPEC, "utf8")) as { definitions: Record<string, { properties?: Json }> })
  .definitions;

/** "Definition.member" -> default, for every member the API description gives a default. */
const specDefaults = new Map<string, unknown>(
  Object.entries(definitions).flatMap(([name, d]) =>
    Object.entries(d.properties ?? {})
      .filter(([, p]) => (p as Json).default !== undefined)
      .map(([member, p]) => [`${name}.${member}`, (p as Json).default] as const),
  ),
);

/**
 * Where each defaulted member sits in the provider's arguments: `place(value)` gives the arguments with the member
 * set to `value` (undefined: omitted). `other` is a value that is not the default.
 */
interface Placement {
  place: (value: unknown) => Json;
  other: unknown;
}
const HEX = "cd".repeat(32);
const withArg = (key: string) => (value: unknown) => ({ ...minimalArgs(), [key]: value });
const inList = (key: string, item: Json, member: string) => (value: unknown) => ({
  ...minimalArgs(),
  [key]: [{ ...item, [member]: value }],
});
const validation = (item: Json, member: string) => (value: unknown) => ({
  ...minimalArgs(),
  validate: { inVMValidations: [{ ...item, [member]: value }] },
});
const SHELL = { type: "Shell", name: "s", inline: ["true"] };
const POWERSHELL = { type: "PowerShell", name: "p", inline: ["exit 0"] };
const FILE = { type: "File", name: "f", sourceUri: "https://example.com/f", destination: "/tmp/f" };
const SIG = {
  type: "SharedImage",
  runOutputName: "sig",
  galleryImageId: GALLERY_IMAGE,
  replicationRegions: ["westus"],
};

const PLACEMENTS: Record<string, Placement> = {
  "DistributeVersionerLatest.major": {
    place: (major) => ({ ...minimalArgs(), distribute: [{ ...SIG, versioning: { scheme: "Latest", major } }] }),
    other: 3,
  },
  "ImageTemplateFileCustomizer.sha256Checksum": { place: inList("customize", FILE, "sha256Checksum"), other: HEX },
  "ImageTemplateFileValidator.sha256Checksum": { place: validation(FILE, "sha256Checksum"), other: HEX },
  "ImageTemplatePowerShellCustomizer.sha256Checksum": {
    place: inList(
      "customize",
      { ...POWERSHELL, inline: undefined, scriptUri: "https://e.com/a.ps1" },
      "sha256Checksum",
    ),
    other: HEX,
  },
  "ImageTemplatePowerShellCustomizer.runElevated": {
    place: inList("customize", POWERSHELL, "runElevated"),
    other: true,
  },
  "ImageTemplatePowerShellCustomizer.runAsSystem": {
    place: inList("customize", POWERSHELL, "runAsSystem"),
    other: true,
  },
  "ImageTemplatePowerShellValidator.sha256Checksum": { place: validation(POWERSHELL, "sha256Checksum"), other: HEX },
  "ImageTemplatePowerShellValidator.runElevated": { place: validation(POWERSHELL, "runElevated"), other: true },
  "ImageTemplatePowerShellValidator.runAsSystem": { place: validation(POWERSHELL, "runAsSystem"), other: true },
  "ImageTemplateProperties.buildTimeoutInMinutes": { place: withArg("buildTimeoutInMinute"), other: 90 },
  "ImageTemplatePropertiesOptimizeWorkload.sha256Checksum": {
    place: (sha256Checksum) => ({
      ...minimalArgs(),
      optimize: { workload: { state: "Enabled", scriptUri: "https://e.com/w.ps1", sha256Checksum } },
    }),
    other: HEX,
  },
  "ImageTemplatePropertiesValidate.continueDistributeOnFailure": {
    place: (v) => ({ ...minimalArgs(), validate: { inVMValidations: [SHELL], continueDistributeOnFailure: v } }),
    other: true,
  },
  "ImageTemplatePropertiesValidate.sourceValidationOnly": {
    place: (v) => ({ ...minimalArgs(), validate: { inVMValidations: [SHELL], sourceValidationOnly: v } }),
    other: true,
  },
  "ImageTemplateSharedImageDistributor.excludeFromLatest": {
    place: inList("distribute", SIG, "excludeFromLatest"),
    other: true,
  },
  "ImageTemplateShellCustomizer.sha256Checksum": {
    place: inList("customize", { ...SHELL, inline: undefined, scriptUri: "https://e.com/a.sh" }, "sha256Checksum"),
    other: HEX,
  },
  "ImageTemplateShellValidator.sha256Checksum": { place: validation(SHELL, "sha256Checksum"), other: HEX },
  "ImageTemplateVmProfile.vmSize": { place: withArg("vmProfileVmsize"), other: "Standard_D4s_v3" },
  "ImageTemplateVmProfile.osDiskSizeGB": { place: withArg("vmProfileOsdiskSizeGb"), other: 128 },
  "ImageTemplateWindowsUpdateCustomizer.updateLimit": {
    place: inList("customize", { type: "WindowsUpdate", name: "wu" }, "updateLimit"),
    other: 5,
  },
  "TargetRegion.replicaCount": {
    place: (replicaCount) => ({
      ...minimalArgs(),
      distribute: [{ ...SIG, replicationRegions: undefined, targetRegions: [{ name: "westus", replicaCount }] }],
    }),
    other: 2,
  },
  "VirtualNetworkConfig.proxyVmSize": {
    place: (v) => ({ ...minimalArgs(), vnetConfigSubnetId: SUBNET, vnetConfigProxyVmSize: v }),
    other: "Standard_A2_v2",
  },
};

describe("diff by the service's rules: defaults from the API description", () => {
  it("places every member the API description gives a default (and no other)", () => {
    assert.ok(specDefaults.size > 15, `read ${specDefaults.size} defaults from the API description`);
    assert.deepEqual(Object.keys(PLACEMENTS).sort(), [...specDefaults.keys()].sort());
  });

  for (const [member, { place, other }] of Object.entries(PLACEMENTS)) {
    it(`${member}: omitted equals the default, any other value is a change`, () => {
      const value = specDefaults.get(member);
      const omitted = place(undefined);
      assert.equal(diffInputs(omitted, place(value)).changes, false, "default added");
      assert.equal(diffInputs(place(value), omitted).changes, false, "default removed");
      assert.equal(diffInputs(omitted, place(other)).changes, true, "another value added");
      assert.equal(diffInputs(place(value), place(other)).changes, true, "default changed");
    });
  }
});

describe("diff by the service's rules: spelling of ids, names and regions", () => {
  const sig = (galleryImageId: string) => ({ ...minimalArgs(), distribute: [{ ...SIG, galleryImageId }] });
  const source = (s: Json) => ({ ...minimalArgs(), source: s });
  /** [what, the arguments with an ARM id or name spelled `s`, the canonical spelling] */
  const ARM_SPELLINGS: [string, (s: string) => Json, string][] = [
    ["galleryImageId", sig, GALLERY_IMAGE],
    [
      "managed image distributor imageId",
      (imageId) =>
        inList("distribute", { type: "ManagedImage", runOutputName: "mi", location: "westus" }, "imageId")(imageId),
      `${RG_ID}/providers/Microsoft.Compute/images/img`,
    ],
    [
      "source imageId",
      (imageId) => source({ type: "ManagedImage", imageId }),
      `${RG_ID}/providers/Microsoft.Compute/images/base`,
    ],
    [
      "source imageVersionId",
      (imageVersionId) => source({ type: "SharedImageVersion", imageVersionId }),
      `${GALLERY_IMAGE}/versions/1.0.0`,
    ],
    ["vnetConfigSubnetId", withArg("vnetConfigSubnetId") as (s: string) => Json, SUBNET],
    [
      "vnetConfigContainerInstanceSubnetId",
      (id) => ({ ...minimalArgs(), vnetConfigSubnetId: SUBNET, vnetConfigContainerInstanceSubnetId: id }),
      `${SUBNET}-aci`,
    ],
    ["stagingResourceGroup", withArg("stagingResourceGroup") as (s: string) => Json, `${RG_ID}-staging`],
    ["identityUserAssignedIdentity", (id) => withArg("identityUserAssignedIdentity")([id]), UAI],
    ["vmProfileUserAssignedIdentities", (id) => withArg("vmProfileUserAssignedIdentities")([id]), UAI_2],
    ["resourceGroupName", withArg("resourceGroupName") as (s: string) => Json, "rg1"],
    ["imageTemplateName", withArg("imageTemplateName") as (s: string) => Json, "tpl-1"],
    ["subscriptionId", withArg("subscriptionId") as (s: string) => Json, "0000000a-0000-0000-0000-00000000000b"],
  ];

  for (const [what, args, id] of ARM_SPELLINGS) {
    it(`${what}: compared case-insensitively, and another id is a change`, () => {
      assert.equal(diffInputs(args(id), args(id.toUpperCase())).changes, false, "upper case");
      assert.equal(diffInputs(args(id.toUpperCase()), args(id)).changes, false, "lower case");
      assert.equal(diffInputs(args(id), args(`${id}x`)).changes, true, "another id");
    });
  }

  const REGION_SPELLINGS: [string, (s: string) => Json][] = [
    ["location", withArg("location") as (s: string) => Json],
    ["distribute[].location", (l) => inList("distribute", (minimalArgs().distribute as Json[])[0], "location")(l)],
    ["replicationRegions", (r) => inList("distribute", SIG, "replicationRegions")([r])],
    [
      "targetRegions[].name",
      (name) => inList("distribute", { ...SIG, replicationRegions: undefined }, "targetRegions")([{ name }]),
    ],
  ];
  for (const [what, args] of REGION_SPELLINGS) {
    it(`${what}: "West US 2" and "westus2" are one region, "westus3" another`, () => {
      assert.equal(diffInputs(args("westus2"), args("West US 2")).changes, false);
      assert.equal(diffInputs(args("West US 2"), args("WESTUS2")).changes, false);
      assert.equal(diffInputs(args("westus2"), args("westus3")).changes, true);
    });
  }
});

describe("diff by the service's rules: sets and sequences", () => {
  const SETS: [string, (members: string[]) => Json, string[]][] = [
    [
      "replicationRegions",
      (r) => inList("distribute", SIG, "replicationRegions")(r),
      ["westus", "eastus", "northeurope"],
    ],
    ["identityUserAssignedIdentity", withArg("identityUserAssignedIdentity"), [UAI, UAI_2]],
    ["vmProfileUserAssignedIdentities", withArg("vmProfileUserAssignedIdentities"), [UAI, UAI_2]],
  ];
  for (const [what, args, members] of SETS) {
    it(`${what}: order carries no meaning, membership does`, () => {
      assert.equal(diffInputs(args(members), args([...members].reverse())).changes, false);
      assert.equal(diffInputs(args(members), args(members.slice(1))).changes, true);
    });
  }

  it("customizers and in-VM validations run in order: reordering them is a change", () => {
    const steps = [SHELL, { ...SHELL, name: "t", inline: ["false"] }];
    assert.deepEqual(diffInputs(withArg("customize")(steps), withArg("customize")([...steps].reverse())).replaces, [
      "customize",
    ]);
    const validate = (v: Json[]) => ({ ...minimalArgs(), validate: { inVMValidations: v } });
    assert.deepEqual(diffInputs(validate(steps), validate([...steps].reverse())).replaces, ["validate"]);
  });
});

describe("diff by the service's rules: empties, key order, the template's address and owed builds", () => {
  it("an empty list means the same as an absent one; the order of an object's keys means nothing", () => {
    assert.equal(diffInputs(minimalArgs(), { ...minimalArgs(), vmProfileUserAssignedIdentities: [] }).changes, false);
    const source = minimalArgs().source as Json;
    const reversed = Object.fromEntries(Object.entries(source).reverse());
    assert.equal(diffInputs(minimalArgs(), { ...minimalArgs(), source: reversed }).changes, false);
  });

  it("build.trigger is opaque JSON: an empty object differs from none, and null members compare as values", () => {
    const build = (trigger?: unknown) => ({ ...minimalArgs(), build: { when: "onChange", trigger } });
    assert.deepEqual(diffInputs(build(), build({})).updates, ["build"]);
    assert.equal(diffInputs(build({ a: null }), build({ a: null })).changes, false);
  });

  it("a fixed name moved to another subscription is a different template: no delete before the replacement", () => {
    const moved = { ...minimalArgs(), subscriptionId: "00000000-0000-0000-0000-000000000002" };
    const d = diffInputs(minimalArgs(), moved);
    assert.deepEqual(d.replaces, ["subscriptionId"]);
    assert.equal(d.deleteBeforeReplace, false);
    assert.equal(diffInputs(minimalArgs(), { ...minimalArgs(), buildTimeoutInMinute: 60 }).deleteBeforeReplace, true);
  });

  it("a replacement owes no update build, and a change of build settings alone sends no PATCH", () => {
    const onChange = { when: "onChange", trigger: 2 };
    const replaced = plan(
      { ...minimalArgs(), build: { when: "onChange", trigger: 1 } },
      {
        ...minimalArgs(),
        buildTimeoutInMinute: 60,
        build: onChange,
      },
    );
    assert.deepEqual(replaced.replaces, ["buildTimeoutInMinute"]);
    assert.equal(replaced.build, undefined, "the replacement's create decides its build");
    const settings = plan(minimalArgs(), { ...minimalArgs(), build: { when: "onCreate", logs: "off" } });
    assert.deepEqual(settings.updates, ["build"]);
    assert.equal(settings.patch, undefined);
  });
});
