import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { argsFromArmTemplate, ArmTemplateError } from "../../provider/image-template/arm-template";
import { checkInputs } from "../../provider/image-template/check";
import { ARG_ENTRIES } from "../../provider/image-template/properties";
import { toImageTemplate } from "../../provider/image-template/mapping";
import {
  READ_ONLY_ENVELOPE,
  READ_ONLY_IDENTITY_VALUE,
  READ_ONLY_PROPERTIES,
  READ_ONLY_SOURCE,
  readOnlyMembersIn,
  readOnlyWarning,
  withoutReadOnly,
} from "../../provider/image-template/read-only";
import { minimalArgs, RG_ID, SUB, UAI, validMaximalArgs } from "./fixtures/args";

type Json = Record<string, unknown>;

const resource = (properties: Json = {}, envelope: Json = {}): Json => ({
  type: "Microsoft.VirtualMachineImages/imageTemplates",
  apiVersion: "2022-02-14",
  name: "web",
  location: "westus",
  identity: { type: "UserAssigned", userAssignedIdentities: { [UAI]: {} } },
  properties: {
    source: { type: "PlatformImage", publisher: "Canonical", offer: "o", sku: "s", version: "latest" },
    distribute: [{ type: "VHD", runOutputName: "vhd" }],
    ...properties,
  },
  ...envelope,
});

/** The problems argsFromArmTemplate reports, as "path: reason" lines. */
function problems(json: unknown): string[] {
  try {
    argsFromArmTemplate(json);
  } catch (e) {
    assert.ok(e instanceof ArmTemplateError, String(e));
    return e.problems.map((p) => `${p.path}: ${p.reason}`);
  }
  assert.fail("expected an ArmTemplateError");
}

describe("read-only members: one list, in sync with the API description", () => {
  const spec = JSON.parse(
    readFileSync(path.resolve(__dirname, "../../reference/imagebuilder-2025-10-01/openapi.json"), "utf8"),
  ) as { definitions: Record<string, { properties?: Record<string, { readOnly?: boolean }> }> };
  const readOnlyOf = (definition: string) =>
    Object.entries(spec.definitions[definition].properties ?? {})
      .filter(([, p]) => p.readOnly)
      .map(([k]) => k)
      .sort();

  it("matches the members the 2025-10-01 description marks readOnly", () => {
    assert.deepEqual([...READ_ONLY_PROPERTIES].sort(), readOnlyOf("ImageTemplateProperties"));
    const sources = Object.keys(spec.definitions).filter((d) => /^ImageTemplate\w+Source$/.test(d));
    assert.deepEqual(sources.sort(), [
      "ImageTemplateManagedImageSource",
      "ImageTemplatePlatformImageSource",
      "ImageTemplateSharedImageVersionSource",
    ]);
    assert.deepEqual([...READ_ONLY_SOURCE], [...new Set(sources.flatMap(readOnlyOf))]);
    assert.deepEqual([...READ_ONLY_IDENTITY_VALUE].sort(), readOnlyOf("UserAssignedIdentity"));
    assert.deepEqual([...READ_ONLY_ENVELOPE], ["id", "name", "type", "systemData"]);
  });

  it("check accepts them, drops them from the inputs and reports no failure", () => {
    const base = minimalArgs();
    const pasted = {
      ...base,
      source: { ...(base.source as Json), exactVersion: "1.2.3" },
      provisioningState: "Succeeded",
      provisioningError: { provisioningErrorCode: "Other", message: "x" },
      lastRunStatus: { runState: "Succeeded" },
      exactStagingResourceGroup: `${RG_ID}-staging`,
    };
    assert.deepEqual(readOnlyMembersIn(pasted), [
      "provisioningState",
      "provisioningError",
      "lastRunStatus",
      "exactStagingResourceGroup",
      "source.exactVersion",
    ]);
    const { inputs, failures } = checkInputs({}, pasted, { env: {} });
    assert.deepEqual(failures, []);
    assert.deepEqual(inputs, checkInputs({}, base, { env: {} }).inputs);
    assert.deepEqual(withoutReadOnly(pasted), base);
  });

  it("an unknown member next to them still fails", () => {
    const { failures } = checkInputs({}, { ...minimalArgs(), provisioningState: "Succeeded", sorce: {} }, { env: {} });
    assert.deepEqual(
      failures.map((f) => f.property),
      ["sorce"],
    );
  });

  it("the warning is one line naming each member", () => {
    const text = readOnlyWarning(["provisioningState", "source.exactVersion"]);
    assert.doesNotMatch(text, /\n/);
    assert.match(text, /^ignoring read-only provisioningState, source\.exactVersion: /);
  });
});

describe("argsFromArmTemplate", () => {
  it("flattens the envelope and properties into ImageTemplate arguments", () => {
    const subnet = `${RG_ID}/providers/Microsoft.Network/virtualNetworks/v/subnets/s`;
    const args = argsFromArmTemplate(
      resource(
        {
          buildTimeoutInMinutes: 90,
          vmProfile: {
            vmSize: "Standard_D2s_v3",
            osDiskSizeGB: 64,
            userAssignedIdentities: [UAI],
            vnetConfig: { subnetId: subnet, proxyVmSize: "Standard_A1_v2" },
          },
          stagingResourceGroup: "",
          customize: [{ type: "Shell", name: "x", inline: ["[[not an expression]"] }],
        },
        { tags: { a: "b" }, dependsOn: ["x"], comments: "c", id: "/x", systemData: {} },
      ),
    );
    assert.deepEqual(args, {
      imageTemplateName: "web",
      location: "westus",
      identityType: "UserAssigned",
      identityUserAssignedIdentity: [UAI],
      source: { type: "PlatformImage", publisher: "Canonical", offer: "o", sku: "s", version: "latest" },
      distribute: [{ type: "VHD", runOutputName: "vhd" }],
      buildTimeoutInMinute: 90,
      vmProfileVmsize: "Standard_D2s_v3",
      vmProfileOsdiskSizeGb: 64,
      vmProfileUserAssignedIdentities: [UAI],
      vnetConfigSubnetId: subnet,
      vnetConfigProxyVmSize: "Standard_A1_v2",
      customize: [{ type: "Shell", name: "x", inline: ["[not an expression]"] }],
      tag: { a: "b" },
    });
  });

  it("takes every argument from its ARM path in the property table", () => {
    const args = validMaximalArgs() as Json;
    // The wire body a PUT of these arguments sends (the SDK's flattened model with properties nested again).
    const { location, tags, identity, ...properties } = toImageTemplate(args as never) as unknown as Json;
    const wire = JSON.parse(JSON.stringify({ location, tags, identity, properties }));
    const converted = argsFromArmTemplate({ ...wire, name: args.imageTemplateName }) as Json;
    const expected = ARG_ENTRIES.filter(([k, a]) => a.arm !== undefined && args[k] !== undefined).map(([k]) => k);
    assert.ok(expected.length >= 20, `the fixture sets ${expected.length} arguments with an ARM path`);
    for (const k of expected) assert.deepEqual(converted[k], args[k], k);
    assert.equal(converted.imageTemplateName, args.imageTemplateName);
  });

  it("picks the one image template out of a whole ARM template", () => {
    const template = { $schema: "s", resources: [{ type: "Microsoft.Compute/images", name: "i" }, resource()] };
    assert.equal(argsFromArmTemplate(template).imageTemplateName, "web");
    assert.deepEqual(problems({ resources: [resource(), resource()] }), [
      "resources: must hold exactly one Microsoft.VirtualMachineImages/imageTemplates resource (found 2); pass that resource itself",
    ]);
    const symbolic = { languageVersion: "2.0", resources: { tpl: resource({ nope: 1 }) } };
    assert.match(problems(symbolic)[0], /^resources\.tpl\.properties\.nope: unknown member/);
  });

  it("names each unevaluated ARM expression by its path and the argument to set instead", () => {
    const found = problems(
      resource(
        { source: { type: "ManagedImage", imageId: "[parameters('baseImage')]" } },
        {
          name: "[parameters('imageTemplateName')]",
          identity: { type: "UserAssigned", userAssignedIdentities: { "[variables('uai')]": {} } },
        },
      ),
    );
    assert.deepEqual(found, [
      `name: is an unevaluated ARM expression ([parameters('imageTemplateName')]); write its value instead, or leave it out of the JSON and set the ImageTemplate argument "imageTemplateName" in the program`,
      `identity.userAssignedIdentities["[variables('uai')]"]: is an unevaluated ARM expression ([variables('uai')]); write its value instead, or leave it out of the JSON and set the ImageTemplate argument "identityUserAssignedIdentity" in the program`,
      `properties.source.imageId: is an unevaluated ARM expression ([parameters('baseImage')]); write its value instead, or leave it out of the JSON and set the ImageTemplate argument "source" in the program`,
    ]);
  });

  it("refuses the 2019 vnetConfig members with the subnet id to write instead", () => {
    const found = problems(
      resource({ vmProfile: { vnetConfig: { name: "vnet1", subnetName: "build", resourceGroupName: "rg-net" } } }),
    );
    assert.deepEqual(found, [
      `properties.vmProfile.vnetConfig.name/subnetName/resourceGroupName: API 2020-02-14 removed these (2019-05-01-preview) members; write "properties.vmProfile.vnetConfig": { "subnetId": "/subscriptions/<subscription id>/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/build" } instead`,
    ]);
  });

  it("refuses an ISO source, pointing at the Marketplace image instead", () => {
    const found = problems(
      resource({ source: { type: "ISO", sourceURI: "https://example.com/rhel.iso", sha256Checksum: "ab" } }),
    );
    assert.equal(found.length, 1);
    assert.match(found[0], /^properties\.source\.type: ISO sources were removed .*"type": "PlatformImage"/);
  });

  it("refuses members it does not know, listing every problem at once", () => {
    const found = problems(
      resource({ vmProfile: { vmSizes: "x" }, nope: 1 }, { type: "Microsoft.Compute/images", copy: {} }),
    );
    assert.deepEqual(
      found.map((f) => f.slice(0, f.indexOf(":"))),
      ["type", "properties.vmProfile.vmSizes", "properties.nope", "copy"],
    );
    assert.match(found[2], /allowed: buildTimeoutInMinutes, customize, distribute, source, .*, vmProfile$/);
    assert.deepEqual(problems("[]"), ['(root): must be a JSON object, got "[]"']);
  });

  it("its output passes check unchanged, read-only members aside", () => {
    const args = argsFromArmTemplate(
      resource({ provisioningState: "Succeeded", lastRunStatus: { runState: "Running" } }),
    ) as Json;
    assert.equal(args.provisioningState, "Succeeded", "carried for ImageTemplate to warn about");
    const { failures, inputs } = checkInputs(
      {},
      { ...args, resourceGroupName: "rg1", subscriptionId: SUB },
      { env: {} },
    );
    assert.deepEqual(failures, []);
    assert.equal(inputs.provisioningState, undefined);
    assert.equal(inputs.lastRunStatus, undefined);
  });

  it("refuses a 10,000-deep resource by the path and the rule instead of exhausting the stack (issue 23)", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    assert.deepEqual(problems(resource({ source: deep })), [
      `properties.source${".a".repeat(32)}: nests deeper than 33 levels of objects and lists`,
    ]);
    assert.deepEqual(problems({ resources: [resource({ customize: [deep] })] }), [
      `resources[0].properties.customize[0]${".a".repeat(31)}: nests deeper than 33 levels of objects and lists`,
    ]);
  });

  it("leaves long strings to check, which refuses them at the argument's path (issue 23)", () => {
    const args = argsFromArmTemplate(resource({}, { location: "a".repeat(1024 * 1024) })) as Json;
    const { failures } = checkInputs({}, { ...args, resourceGroupName: "rg1", subscriptionId: SUB }, { env: {} });
    assert.deepEqual(failures, [{ property: "location", reason: "must be at most 64 characters (got 1048576)" }]);
  });
});
