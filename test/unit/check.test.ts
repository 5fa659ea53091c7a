import assert from "node:assert/strict";
import { autoname, autonameSuffix, checkInputs, type CheckEnvironment } from "../../provider/image-template/check";
import { UNKNOWN } from "../../provider/codecs/combinators";
import { checkTrigger } from "../../provider/trigger/trigger";
import {
  GALLERY_IMAGE,
  maximalArgs,
  minimalArgs,
  OTHER_SOURCES,
  RG_ID,
  SUBNET,
  SUB,
  UAI,
  UAI_2,
  validMaximalArgs,
} from "./fixtures/args";

const env = (vars: Record<string, string> = {}): CheckEnvironment => ({ env: vars });

function failures(news: Record<string, unknown>, olds: Record<string, unknown> = {}) {
  return checkInputs(olds, news, env()).failures;
}

/** Asserts exactly one failure at `property` whose reason matches `reason`, and no other failure. */
function expectFailure(news: Record<string, unknown>, property: string, reason: RegExp) {
  const found = failures(news);
  assert.equal(found.length, 1, `expected one failure at ${property}, got ${JSON.stringify(found)}`);
  assert.equal(found[0].property, property, JSON.stringify(found));
  assert.match(found[0].reason, reason);
}

/** minimalArgs() with the value at `path` replaced (or added). */
function withPath(path: (string | number)[], value: unknown, base = minimalArgs()): Record<string, unknown> {
  let node = base as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]] = value;
  return base;
}

describe("check: validation", () => {
  it("accepts the minimal and the maximal argument sets and every source kind", () => {
    assert.deepEqual(failures(minimalArgs()), []);
    assert.deepEqual(failures(validMaximalArgs()), []);
    for (const source of OTHER_SOURCES) assert.deepEqual(failures({ ...minimalArgs(), source }), []);
  });

  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    [
      "runOutputName pattern",
      withPath(["distribute", 0, "runOutputName"], "bad name!"),
      "distribute[0].runOutputName",
      /\^\[A-Za-z0-9-_.\]\{1,64\}\$/,
    ],
    ["template name length", { ...minimalArgs(), imageTemplateName: "x".repeat(65) }, "imageTemplateName", /\{1,64\}/],
    [
      "build timeout range",
      { ...minimalArgs(), buildTimeoutInMinute: 961 },
      "buildTimeoutInMinute",
      /between 0 and 960/,
    ],
    ["build timeout integer", { ...minimalArgs(), buildTimeoutInMinute: 1.5 }, "buildTimeoutInMinute", /integer/],
    ["os disk size", { ...minimalArgs(), vmProfileOsdiskSizeGb: -1 }, "vmProfileOsdiskSizeGb", />= 0/],
    [
      "source discriminator",
      withPath(["source", "type"], "Platform"),
      "source.type",
      /"PlatformImage", "ManagedImage", "SharedImageVersion"/,
    ],
    ["member type", withPath(["source", "sku"], 7), "source.sku", /string/],
    ["required member", withPath(["source", "offer"], undefined), "source.offer", /is required/],
    ["required argument", { ...minimalArgs(), location: undefined }, "location", /is required/],
    ["empty distribute", { ...minimalArgs(), distribute: [] }, "distribute", /at least 1/],
    [
      "distributor discriminator",
      withPath(["distribute", 0, "type"], "Gallery"),
      "distribute[0].type",
      /"ManagedImage", "SharedImage", "VHD"/,
    ],
    [
      "managed image id shape",
      withPath(["distribute", 0, "imageId"], "img"),
      "distribute[0].imageId",
      /resource id like .*Microsoft.Compute\/images/,
    ],
    [
      "identity id shape",
      { ...minimalArgs(), identityUserAssignedIdentity: ["/subscriptions/x/identity"] },
      "identityUserAssignedIdentity[0]",
      /userAssignedIdentities/,
    ],
    [
      "subscription part of an id is a GUID",
      {
        ...minimalArgs(),
        identityUserAssignedIdentity: [
          "/subscriptions/ /resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aib",
        ],
      },
      "identityUserAssignedIdentity[0]",
      /resource id like/,
    ],
    [
      "resource group part of an id is a resource group name",
      {
        ...minimalArgs(),
        stagingResourceGroup: `/subscriptions/${"0".repeat(8)}-0000-0000-0000-${"0".repeat(12)}/resourceGroups/rg.`,
      },
      "stagingResourceGroup",
      /resource group id/,
    ],
    [
      "subnet id shape",
      { ...minimalArgs(), vnetConfigSubnetId: `${RG_ID}/subnets/x` },
      "vnetConfigSubnetId",
      /virtualNetworks/,
    ],
    [
      "staging resource group id",
      { ...minimalArgs(), stagingResourceGroup: "staging" },
      "stagingResourceGroup",
      /resource group id/,
    ],
    ["subscription id", { ...minimalArgs(), subscriptionId: "my-sub" }, "subscriptionId", /GUID/],
    ["resource group name", { ...minimalArgs(), resourceGroupName: "rg." }, "resourceGroupName", /resource group name/],
    [
      "enum",
      { ...minimalArgs(), errorHandling: { onCustomizerError: "Abort" } },
      "errorHandling.onCustomizerError",
      /"cleanup", "abort"/,
    ],
    [
      "customizer url",
      { ...minimalArgs(), customize: [{ type: "Shell", scriptUri: "ftp://x/y.sh" }] },
      "customize[0].scriptUri",
      /http\(s\) URL/,
    ],
    [
      "checksum",
      { ...minimalArgs(), customize: [{ type: "Shell", inline: ["x"], sha256Checksum: "abc" }] },
      "customize[0].sha256Checksum",
      /64 hex/,
    ],
    [
      "customizer discriminator",
      { ...minimalArgs(), customize: [{ type: "Bash", inline: ["x"] }] },
      "customize[0].type",
      /"Shell", "PowerShell", "WindowsRestart", "WindowsUpdate", "File"/,
    ],
    [
      "validator discriminator",
      { ...minimalArgs(), validate: { inVMValidations: [{ type: "WindowsRestart" }] } },
      "validate.inVMValidations[0].type",
      /"Shell", "PowerShell", "File"/,
    ],
    [
      "replica count",
      withPath(["distribute", 0], {
        type: "SharedImage",
        runOutputName: "s",
        galleryImageId: GALLERY_IMAGE,
        targetRegions: [{ name: "westus", replicaCount: 0 }],
      }),
      "distribute[0].targetRegions[0].replicaCount",
      />= 1/,
    ],
    [
      "versioner",
      withPath(["distribute", 0], {
        type: "SharedImage",
        runOutputName: "s",
        galleryImageId: GALLERY_IMAGE,
        versioning: { scheme: "Newest" },
      }),
      "distribute[0].versioning.scheme",
      /"Latest", "Source"/,
    ],
    [
      "data disk size",
      { ...minimalArgs(), additionalDataDisks: [{ sizeGB: -2 }] },
      "additionalDataDisks[0].sizeGB",
      />= 0/,
    ],
    ["tags are strings", { ...minimalArgs(), tag: { env: 1 } }, "tag.env", /string/],
  ];
  for (const [name, args, property, reason] of cases) {
    it(`rejects: ${name} at ${property}`, () => expectFailure(args, property, reason));
  }

  it("rejects unknown properties with a did-you-mean hint, at any depth", () => {
    expectFailure({ ...minimalArgs(), vmProfileVmSize: "x" }, "vmProfileVmSize", /did you mean "vmProfileVmsize"/);
    expectFailure({ ...minimalArgs(), tags: {} }, "tags", /did you mean "tag"/);
    expectFailure(withPath(["source", "skus"], "x"), "source.skus", /did you mean "sku"/);
    expectFailure(withPath(["source", "plan"], {}), "source.plan", /did you mean "planInfo"/);
    expectFailure(
      { ...minimalArgs(), customize: [{ type: "Shell", inline: ["x"], scriptURI: "https://a/b" }] },
      "customize[0].scriptURI",
      /did you mean "scriptUri"/,
    );
    expectFailure({ ...minimalArgs(), zzz: 1 }, "zzz", /unknown property; allowed: .*resourceGroupName/);
    // A member named like an index is still a member, not an array element.
    expectFailure({ ...minimalArgs(), 0: "x" }, "0", /unknown property/);
    expectFailure(withPath(["source", "1"], "x"), "source.1", /unknown property/);
  });

  const crossField: [string, Record<string, unknown>, string, RegExp][] = [
    [
      "two identities",
      { ...minimalArgs(), identityUserAssignedIdentity: [UAI, UAI_2] },
      "identityUserAssignedIdentity",
      /exactly one/,
    ],
    [
      "UserAssigned without id",
      { ...minimalArgs(), identityType: "UserAssigned", identityUserAssignedIdentity: [] },
      "identityUserAssignedIdentity",
      /exactly one.*got 0/,
    ],
    ["None with id", { ...minimalArgs(), identityType: "None" }, "identityUserAssignedIdentity", /must be empty/],
    [
      "create without identity",
      { ...minimalArgs(), identityUserAssignedIdentity: undefined },
      "identityUserAssignedIdentity",
      /required to create/,
    ],
    [
      "script and inline",
      { ...minimalArgs(), customize: [{ type: "Shell", inline: ["x"], scriptUri: "https://a/b.sh" }] },
      "customize[0]",
      /exactly one of "scriptUri" or "inline"/,
    ],
    [
      "neither script nor inline",
      { ...minimalArgs(), validate: { inVMValidations: [{ type: "PowerShell" }] } },
      "validate.inVMValidations[0]",
      /exactly one/,
    ],
    [
      "runAsSystem without runElevated",
      { ...minimalArgs(), customize: [{ type: "PowerShell", inline: ["x"], runAsSystem: true, runElevated: false }] },
      "customize[0].runAsSystem",
      /runElevated is true/,
    ],
    [
      "ACI subnet without subnet",
      {
        ...minimalArgs(),
        vnetConfigContainerInstanceSubnetId: `${RG_ID}/providers/Microsoft.Network/virtualNetworks/v/subnets/a`,
      },
      "vnetConfigContainerInstanceSubnetId",
      /requires vnetConfigSubnetId/,
    ],
    [
      "ACI subnet in another vnet",
      {
        ...minimalArgs(),
        vnetConfigSubnetId: `${RG_ID}/providers/Microsoft.Network/virtualNetworks/v1/subnets/a`,
        vnetConfigContainerInstanceSubnetId: `${RG_ID}/providers/Microsoft.Network/virtualNetworks/v2/subnets/b`,
      },
      "vnetConfigContainerInstanceSubnetId",
      /same virtual network/,
    ],
    [
      "proxy VM with ACI",
      maximalArgs(),
      "vnetConfigProxyVmSize",
      /must not be set with vnetConfigContainerInstanceSubnetId/,
    ],
    [
      "duplicate runOutputName",
      {
        ...minimalArgs(),
        distribute: [(minimalArgs().distribute as unknown[])[0], { type: "VHD", runOutputName: "MI" }],
      },
      "distribute[1].runOutputName",
      /unique/,
    ],
    [
      "targetRegions with replicationRegions",
      withPath(["distribute", 0], {
        type: "SharedImage",
        runOutputName: "s",
        galleryImageId: GALLERY_IMAGE,
        targetRegions: [{ name: "westus" }],
        replicationRegions: ["westus"],
      }),
      "distribute[0].replicationRegions",
      /targetRegions/,
    ],
    [
      "storageAccountType without replicationRegions",
      withPath(["distribute", 0], {
        type: "SharedImage",
        runOutputName: "s",
        galleryImageId: GALLERY_IMAGE,
        storageAccountType: "Standard_LRS",
      }),
      "distribute[0].storageAccountType",
      /replicationRegions/,
    ],
  ];
  for (const [name, args, property, reason] of crossField) {
    it(`rejects across members: ${name}`, () => expectFailure(args, property, reason));
  }

  it("allows identity None on an existing template (PATCH can remove it)", () => {
    const news = { ...minimalArgs(), identityType: "None", identityUserAssignedIdentity: undefined };
    assert.deepEqual(failures(news, { imageTemplateName: "tpl-1" }), []);
  });

  it("tolerates values unknown during preview at any depth", () => {
    const args = withPath(["source", "type"], UNKNOWN);
    assert.deepEqual(failures(args), []);
    assert.deepEqual(failures({ ...minimalArgs(), buildTimeoutInMinute: UNKNOWN, distribute: [UNKNOWN] }), []);
    assert.deepEqual(
      failures({ ...minimalArgs(), identityUserAssignedIdentity: UNKNOWN, imageTemplateName: UNKNOWN }),
      [],
    );
    assert.deepEqual(failures(withPath(["distribute", 0, "imageId"], UNKNOWN)), []);
  });
});

describe("check: autonaming and defaults", () => {
  const withoutName = () => ({ ...minimalArgs(), imageTemplateName: undefined, __pulumiName: "web image" });

  it("names the template after the Pulumi name plus a suffix and records that it chose it", () => {
    const { inputs, failures } = checkInputs({}, withoutName(), env());
    assert.deepEqual(failures, []);
    assert.match(String(inputs.imageTemplateName), /^web-image-[0-9a-f]{7}$/);
    assert.deepEqual(inputs.__defaults, ["imageTemplateName"]);
    assert.equal(inputs.__pulumiName, "web image", "kept for the build's progress lines");
    assert.equal("__autonameSeed" in inputs, false);
  });

  it("derives the suffix from the seed and the arguments, so preview and up agree on the name", () => {
    const seeded = (extra: Record<string, unknown> = {}, seed = "proj/dev/web image") => ({
      ...withoutName(),
      __autonameSeed: seed,
      ...extra,
    });
    const name = (news: Record<string, unknown>) => checkInputs({}, news, env()).inputs.imageTemplateName;
    assert.equal(name(seeded()), name(seeded()), "the same inputs always get the same name");
    assert.notEqual(name(seeded({ location: "westus3" })), name(seeded()), "a replacement's new arguments rename it");
    assert.notEqual(name(seeded({}, "proj/prod/web image")), name(seeded()), "another stack gets another name");
    assert.equal(name(seeded({ tag: { a: "b" } })), name(seeded({ tag: { a: "b" } })));
    assert.equal(name(seeded({ build: { when: "onCreate" } })), name(seeded()), "build settings do not rename");
    assert.equal(name(seeded({ location: UNKNOWN })), UNKNOWN, "unknown while an argument is unknown (preview)");
  });

  it("keeps an autoname across updates, and draws a new one when the engine re-checks for a replacement", () => {
    const olds = { ...minimalArgs(), imageTemplateName: "web-image-0000000", __defaults: ["imageTemplateName"] };
    assert.equal(checkInputs(olds, withoutName(), env()).inputs.imageTemplateName, "web-image-0000000");
    assert.match(String(checkInputs({}, withoutName(), env()).inputs.imageTemplateName), /^web-image-[0-9a-f]{7}$/);
  });

  it("does not reuse a name the user had fixed before dropping it", () => {
    const olds = { ...minimalArgs(), imageTemplateName: "fixed" };
    assert.match(String(checkInputs(olds, withoutName(), env()).inputs.imageTemplateName), /^web-image-[0-9a-f]{7}$/);
  });

  it("leaves a user-chosen name alone", () => {
    const { inputs } = checkInputs({}, minimalArgs(), env());
    assert.equal(inputs.imageTemplateName, "tpl-1");
    assert.equal(inputs.__defaults, undefined);
  });

  it("keeps autonames valid and within 64 characters", () => {
    const name = autoname("ä/".repeat(50), "1234567");
    assert.match(name, /^[A-Za-z0-9-_.]{1,64}$/);
    assert.ok(name.endsWith("-1234567"));
  });

  it("defaults the subscription from AZURE_SUBSCRIPTION_ID, then ARM_SUBSCRIPTION_ID, else fails clearly", () => {
    const news = { ...minimalArgs(), subscriptionId: undefined };
    const other = "00000000-0000-0000-0000-000000000002";
    assert.equal(
      checkInputs({}, news, env({ AZURE_SUBSCRIPTION_ID: SUB, ARM_SUBSCRIPTION_ID: other })).inputs.subscriptionId,
      SUB,
    );
    assert.equal(checkInputs({}, news, env({ ARM_SUBSCRIPTION_ID: other })).inputs.subscriptionId, other);
    const { failures } = checkInputs({}, news, env());
    assert.deepEqual(
      failures.map((f) => f.property),
      ["subscriptionId"],
    );
    assert.match(failures[0].reason, /AZURE_SUBSCRIPTION_ID/);
  });

  it("takes the subscription as Pulumi ESC writes it (/subscriptions/<guid>) and records the GUID", () => {
    const esc = `/subscriptions/${SUB}`;
    const given = checkInputs({}, { ...minimalArgs(), subscriptionId: esc }, env());
    assert.deepEqual(given.failures, []);
    assert.equal(given.inputs.subscriptionId, SUB);
    const news = { ...minimalArgs(), subscriptionId: undefined };
    for (const vars of [{ ARM_SUBSCRIPTION_ID: esc }, { AZURE_SUBSCRIPTION_ID: `${esc}/` }] as Record<
      string,
      string
    >[]) {
      const fromEnv = checkInputs({}, news, env(vars));
      assert.deepEqual(fromEnv.failures, [], JSON.stringify(vars));
      assert.equal(fromEnv.inputs.subscriptionId, SUB);
    }
    // Only the subscription's own id: a resource group id is still refused, naming the rule.
    expectFailure({ ...minimalArgs(), subscriptionId: `${esc}/resourceGroups/rg` }, "subscriptionId", /GUID/);
    const trigger = { kind: "SourceImage", resourceGroupName: "rg", imageTemplateName: "t", triggerName: "tr" };
    for (const [news, vars] of [
      [{ ...trigger, subscriptionId: esc }, {}],
      [trigger, { ARM_SUBSCRIPTION_ID: esc }],
    ] as const) {
      const checked = checkTrigger(news, vars);
      assert.deepEqual(checked.failures, []);
      assert.equal(checked.inputs.subscriptionId, SUB);
    }
  });

  it("ignores the engine's __provider and passes the user's arguments through unchanged", () => {
    const news = { ...validMaximalArgs(), __provider: "exports.handler = ..." };
    const { inputs } = checkInputs({}, news, env());
    assert.equal("__provider" in inputs, false);
    assert.deepEqual(inputs, validMaximalArgs());
  });
});

describe("check: rules across members, secrets and what check adds", () => {
  const powerShell = (extra: Record<string, unknown>) => ({
    type: "PowerShell",
    name: "p",
    inline: ["exit 0"],
    ...extra,
  });
  const properties = (news: Record<string, unknown>) => failures(news).map((f) => f.property);

  it("runAsSystem needs runElevated on PowerShell steps only, in customize and in validation", () => {
    expectFailure(
      { ...minimalArgs(), customize: [powerShell({ runAsSystem: true })] },
      "customize[0].runElevated",
      /^must be true when runAsSystem is true$/,
    );
    expectFailure(
      { ...minimalArgs(), validate: { inVMValidations: [powerShell({ runAsSystem: true })] } },
      "validate.inVMValidations[0].runElevated",
      /^must be true when runAsSystem is true$/,
    );
    assert.deepEqual(
      failures({ ...minimalArgs(), customize: [powerShell({ runAsSystem: true, runElevated: true })] }),
      [],
    );
    assert.deepEqual(
      failures({ ...minimalArgs(), customize: [powerShell({ runAsSystem: false, runElevated: false })] }),
      [],
    );
    // A Shell step has no such member: the codec's one failure, no PowerShell rule on top.
    const shell = { type: "Shell", name: "s", inline: ["true"], runAsSystem: true };
    assert.deepEqual(properties({ ...minimalArgs(), customize: [shell] }), ["customize[0].runAsSystem"]);
  });

  it("an empty inline list counts as no inline: scriptUri alone is exactly one source", () => {
    const step = { type: "Shell", name: "s", scriptUri: "https://example.com/s.sh", inline: [] };
    assert.deepEqual(failures({ ...minimalArgs(), customize: [step] }), []);
  });

  it("vnetConfigProxyVmSize needs a subnet, and its default (empty) counts as unset", () => {
    expectFailure(
      { ...minimalArgs(), vnetConfigProxyVmSize: "Standard_A1_v2" },
      "vnetConfigProxyVmSize",
      /^requires vnetConfigSubnetId$/,
    );
    assert.deepEqual(failures({ ...minimalArgs(), vnetConfigProxyVmSize: "" }), []);
    const isolated = {
      ...minimalArgs(),
      vnetConfigSubnetId: SUBNET,
      vnetConfigContainerInstanceSubnetId: SUBNET.replace(/build$/, "aci"),
    };
    assert.deepEqual(failures({ ...isolated, vnetConfigProxyVmSize: "" }), []);
    // A subnet not known yet (preview) cannot be compared with the container instance's.
    assert.deepEqual(failures({ ...isolated, vnetConfigSubnetId: UNKNOWN }), []);
  });

  it("leaves malformed steps and run output names to the codecs, and unknown names undecided", () => {
    assert.deepEqual(failures({ ...minimalArgs(), customize: [null] }), [
      { property: "customize[0]", reason: "must be an object" },
    ]);
    assert.deepEqual(properties({ ...minimalArgs(), distribute: [null] }), ["distribute[0]"]);
    const managed = (minimalArgs().distribute as Record<string, unknown>[])[0];
    assert.deepEqual(
      properties({ ...minimalArgs(), distribute: [{ ...managed, storageAccountType: "Standard_LRS" }] }),
      ["distribute[0].storageAccountType"],
    );
    const distribute = (names: unknown[]) =>
      names.map((runOutputName, i) => ({
        type: "VHD",
        runOutputName,
        uri: `https://a.blob.core.windows.net/c/${i}.vhd`,
      }));
    assert.deepEqual(properties({ ...minimalArgs(), distribute: distribute([5]) }), ["distribute[0].runOutputName"]);
    assert.deepEqual(failures({ ...minimalArgs(), distribute: distribute([UNKNOWN, UNKNOWN]) }), []);
  });

  it("a failure in a secret argument is thrown with the property named and every secret string masked", () => {
    const secret = {
      ...minimalArgs(),
      distribute: [
        { type: "VHD", runOutputName: "hunter2" },
        { type: "VHD", runOutputName: "hunter2" },
      ],
      __secretKeys: ["distribute"],
    };
    assert.throws(
      () => checkInputs({}, secret, env()),
      (e: Error) => {
        assert.equal(
          e.message,
          "Invalid arguments (the values are secret and not shown):\n" +
            '  property distribute[1].runOutputName value [secret] has a problem: must be unique; distribute[0] already uses "[secret]"',
        );
        return true;
      },
    );
    // Secret keys named, but the failure is elsewhere: reported as usual.
    const other = { ...minimalArgs(), buildTimeoutInMinute: -1, __secretKeys: ["distribute"] };
    assert.deepEqual(properties(other), ["buildTimeoutInMinute"]);
  });

  it("reports a forbidden key once, under its own name", () => {
    assert.deepEqual(failures({ ...minimalArgs(), constructor: {} }), [
      { property: "constructor", reason: "is not allowed as a property name" },
    ]);
  });

  it("keeps the engine's and its own bookkeeping keys out of the arguments, and drops null members", () => {
    const news = {
      ...minimalArgs(),
      tag: null,
      __defaults: ["imageTemplateName"],
      __autonameSeed: "proj/dev/tpl",
      __secretKeys: [],
      __provider: "serialized",
    };
    const { inputs, failures: found } = checkInputs({}, news, env());
    assert.deepEqual(found, []);
    for (const key of ["tag", "__defaults", "__autonameSeed", "__secretKeys", "__provider"]) {
      assert.equal(key in inputs, false, `${key} is not in the checked inputs`);
    }
    assert.match(String(inputs.__owner), /^[0-9a-f]{32}$/, "the owner hash of the seed");
    const owner = (seed: string) => checkInputs({}, { ...minimalArgs(), __autonameSeed: seed }, env()).inputs.__owner;
    assert.equal(owner("proj/dev/tpl"), inputs.__owner);
    assert.notEqual(owner("proj/prod/tpl"), inputs.__owner);
    assert.equal("__owner" in checkInputs({}, minimalArgs(), env()).inputs, false);
  });

  it("takes an omitted location from ARM_LOCATION, never over a given one", () => {
    const omitted = { ...minimalArgs(), location: undefined };
    assert.equal(checkInputs({}, omitted, env({ ARM_LOCATION: "eastus" })).inputs.location, "eastus");
    assert.equal(checkInputs({}, minimalArgs(), env({ ARM_LOCATION: "eastus" })).inputs.location, "westus");
    assert.equal(checkInputs({}, omitted, env()).inputs.location, undefined);
  });

  it("autonames without a resource name as template-<suffix>; the suffix ignores the name itself", () => {
    assert.equal(autoname("", "abc1234"), "template-abc1234");
    const { imageTemplateName } = checkInputs({}, { ...minimalArgs(), imageTemplateName: undefined }, env()).inputs;
    assert.match(String(imageTemplateName), /^template-[0-9a-f]{7}$/);
    const suffix = (name: string) => autonameSuffix("seed", { ...minimalArgs(), imageTemplateName: name });
    assert.equal(suffix("a"), suffix("b"));
    // Provider-only settings do not define the template: changing them keeps the name.
    const base = autonameSuffix("seed", minimalArgs());
    assert.equal(autonameSuffix("seed", { ...minimalArgs(), adoptExisting: true }), base);
    assert.equal(autonameSuffix("seed", { ...minimalArgs(), build: { when: "onCreate" } }), base);
  });
});

/** A value `levels` objects (or lists) deep: { a: { a: ... } }. */
function nested(levels: number, list = false): unknown {
  let value: unknown = "leaf";
  for (let i = 0; i < levels; i++) value = list ? [value] : { a: value };
  return value;
}
const deepPath = (base: string, levels: number) => `${base}${".a".repeat(levels)}`;

describe("check: bounds on every string, list and depth (issue 23)", () => {
  const MB = 1024 * 1024;
  const base = minimalArgs();
  const source = base.source as Record<string, unknown>;
  const distributor = (base.distribute as Record<string, unknown>[])[0];
  const distributors = (n: number) => Array.from({ length: n }, (_, i) => ({ ...distributor, runOutputName: `r${i}` }));
  const step = (extra: Record<string, unknown>) => [{ type: "Shell", name: "s", inline: ["x"], ...extra }];

  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ["1 MB location", { ...base, location: "a".repeat(MB) }, "location", /at most 64 characters \(got 1048576\)/],
    ["20,000-character location", { ...base, location: "a".repeat(20_000) }, "location", /at most 64 characters/],
    ["1 MB vmProfileVmsize", { ...base, vmProfileVmsize: "S".repeat(MB) }, "vmProfileVmsize", /at most 256/],
    ["1 MB source.offer", withPath(["source", "offer"], "o".repeat(MB)), "source.offer", /at most 256 characters/],
    [
      "10,000-character customizer name",
      { ...base, customize: step({ name: "n".repeat(10_000) }) },
      "customize[0].name",
      /at most 256/,
    ],
    [
      "10,000 distributors",
      { ...base, distribute: distributors(10_000) },
      "distribute",
      /at most 100 items \(got 10000\)/,
    ],
    [
      "a 1 MB distributor region",
      withPath(["distribute", 0, "location"], "w".repeat(MB)),
      "distribute[0].location",
      /at most 64/,
    ],
    [
      "a 1 MB scriptUri",
      { ...base, customize: [{ type: "Shell", name: "s", scriptUri: `https://a/${"x".repeat(MB)}` }] },
      "customize[0].scriptUri",
      /at most 8192 characters/,
    ],
    [
      "a 1 MB identity name",
      { ...base, identityUserAssignedIdentity: [`${UAI}${"x".repeat(MB)}`] },
      "identityUserAssignedIdentity[0]",
      /at most 128 characters/,
    ],
    [
      "10,000 customize steps",
      { ...base, customize: Array.from({ length: 10_000 }, () => step({})[0]) },
      "customize",
      /at most 1000 items/,
    ],
    [
      "65 data disks",
      { ...base, additionalDataDisks: Array.from({ length: 65 }, () => ({ sizeGB: 1 })) },
      "additionalDataDisks",
      /at most 64 items/,
    ],
    [
      "a 100 KB build trigger",
      { ...base, build: { when: "onCreate", trigger: "t".repeat(100_000) } },
      "build.trigger",
      /at most 65536 bytes of JSON/,
    ],
    [
      "a 1 MB member name",
      withPath(["source", "k".repeat(MB)], "x"),
      "source",
      /has a member name of 1048576 characters; at most 512/,
    ],
    [
      "a 10,000-deep build trigger",
      { ...base, build: { when: "onCreate", trigger: nested(10_000) } },
      deepPath("build.trigger", 31),
      /nests deeper than 32 levels/,
    ],
    [
      "a 10,000-deep list in customize",
      { ...base, customize: nested(10_000, true) },
      `customize${"[0]".repeat(32)}`,
      /nests deeper than 32 levels/,
    ],
    [
      "a 10,000-deep source",
      { ...base, source: { ...source, planInfo: nested(10_000) } },
      deepPath("source.planInfo", 31),
      /nests deeper than 32 levels/,
    ],
    [
      "a 10,000-deep unknown member",
      { ...base, extra: nested(10_000) },
      deepPath("extra", 32),
      /nests deeper than 32 levels/,
    ],
    ["a 10,000-deep tag map", { ...base, tag: nested(10_000) }, deepPath("tag", 32), /nests deeper than 32 levels/],
  ];
  for (const [name, args, property, reason] of cases) {
    it(`refuses ${name}, naming its path and rule, without throwing`, () => expectFailure(args, property, reason));
  }

  it("accepts every bound's largest value", () => {
    const atLimit = {
      ...base,
      location: "a".repeat(64),
      vmProfileVmsize: "S".repeat(256),
      source: { ...source, offer: "o".repeat(256) },
      customize: step({ name: "n".repeat(256) }),
      distribute: distributors(100),
      additionalDataDisks: Array.from({ length: 64 }, () => ({ sizeGB: 1 })),
      // build is the first level, the trigger the second.
      build: { when: "onCreate", trigger: nested(31) },
    };
    assert.deepEqual(failures(atLimit), []);
  });

  it("a required argument refused for its shape is reported once, not again as missing", () => {
    const found = failures({ ...base, source: nested(40) });
    assert.deepEqual(
      found.map((f) => f.property),
      [deepPath("source", 32)],
    );
  });

  it("a secret argument too deep or with an over-long member name fails with the provider's own error, quoting none of it", () => {
    const deep = { ...base, build: { trigger: nested(10_000) }, __secretKeys: ["build"] };
    assert.throws(
      () => checkInputs({}, deep, env()),
      (e: Error) =>
        /property build\.trigger(\.a)+ value \[secret\] has a problem: nests deeper than 32/.test(e.message),
    );
    const longName = { ...base, tag: { ["s3cr3t".repeat(100)]: "v" }, __secretKeys: ["tag"] };
    assert.throws(
      () => checkInputs({}, longName, env()),
      (e: Error) =>
        /property tag value \[secret\] has a problem: has a member name of 600 characters/.test(e.message) &&
        !e.message.includes("s3cr3t"),
    );
  });
});

describe("ImageTemplateTrigger check: bounds and depth (issue 23)", () => {
  const trigger = () => ({
    resourceGroupName: "rg1",
    imageTemplateName: "tpl-1",
    triggerName: "source-image",
    kind: "SourceImage",
    subscriptionId: SUB,
  });
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ["a 1 MB trigger name", { ...trigger(), triggerName: "t".repeat(1024 * 1024) }, "triggerName", /\{1,64\}/],
    [
      "a 1 MB resource group",
      { ...trigger(), resourceGroupName: "r".repeat(1024 * 1024) },
      "resourceGroupName",
      /1-90/,
    ],
    [
      "a 10,000-deep member",
      { ...trigger(), kind: nested(10_000) },
      deepPath("kind", 32),
      /nests deeper than 32 levels/,
    ],
    [
      "a 10,000-deep unknown member",
      { ...trigger(), extra: nested(10_000) },
      deepPath("extra", 32),
      /nests deeper than 32/,
    ],
    ["a 1 MB member name", { ...trigger(), ["k".repeat(1024 * 1024)]: 1 }, "k".repeat(20) + "…", /at most 512/],
  ];
  for (const [name, news, property, reason] of cases) {
    it(`refuses ${name}, naming its path and rule, without throwing`, () => {
      const found = checkTrigger(news, {}).failures;
      assert.equal(found.length, 1, JSON.stringify(found).slice(0, 500));
      assert.equal(found[0].property, property);
      assert.match(found[0].reason, reason);
    });
  }
});
