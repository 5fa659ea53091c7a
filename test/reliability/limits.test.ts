/**
 * Azure's own limits (tags, int32, the 4 MiB body, region names, prototype keys) are refused by `check`, each at its
 * path with its rule and before any request; a failing secret argument is reported without its value, in process
 * and through the real engine (which would otherwise print the decrypted value next to the failure).
 */
import assert from "node:assert/strict";
import type * as pulumi from "@pulumi/pulumi";
import { imageTemplateProvider, ImageTemplate } from "pulumi-azure-imagebuilder";
import { templateArgs } from "../fixtures/template-args";
import { applyEmulatorEnv, startTestEmulator, trustEmulatorCertificate, type TestEmulator } from "../helpers/emulator";
import { ENSURE_TIMEOUT_MS, pulumiBinDir } from "../e2e/helpers/engine";
import { startEngineSuite, type EngineSuite } from "../e2e/helpers/stacks";
import { recordFigure, suiteCommand } from "./summary";

type Bag = Record<string, unknown>;
const bagOf = (args: object): Bag => ({ ...args });
const provider = imageTemplateProvider as Required<pulumi.dynamic.ResourceProvider>;
const SECRET_NAME = "bad name! SecretName-42";

const tags = (count: number, name = (i: number) => `k${i}`, value = "v") =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [name(i), value]));

const MB = 1024 * 1024;
/** { a: { a: ... } }, `levels` objects deep. */
function nested(levels: number): unknown {
  let value: unknown = "leaf";
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

/** [what, patch of the valid arguments (or a function of them), path, rule]. */
function limitCases(valid: Bag): [string, Bag, string, RegExp][] {
  const distribute = valid.distribute as Bag[];
  const source = valid.source as Bag;
  const withDistributor = (patch: Bag): Bag => ({ distribute: [{ ...distribute[0], ...patch }] });
  return [
    ["50 tags (one place kept for the ownership marker)", { tag: tags(50) }, "tag", /at most 49 tags .*\(got 50\)/],
    ["51 managed resource tags", { managedResourceTags: tags(51) }, "managedResourceTags", /at most 50/],
    ["51 artifact tags", withDistributor({ artifactTags: tags(51) }), "distribute[0].artifactTags", /at most 50/],
    ["tag name of 513 characters", { tag: { ["n".repeat(513)]: "v" } }, "tag", /513 characters; at most 512/],
    ...[..."<>%&\\?/"].map((c): [string, Bag, string, RegExp] => [
      `tag name with ${c}`,
      { tag: { [`a${c}b`]: "v" } },
      `tag.a${c}b`,
      /must not contain any of < > % & \\ \? \//,
    ]),
    ["tag value of 257 characters", { tag: { env: "v".repeat(257) } }, "tag.env", /at most 256 characters \(got 257\)/],
    ["os disk 2^31", { vmProfileOsdiskSizeGb: 2 ** 31 }, "vmProfileOsdiskSizeGb", /32-bit integer range/],
    [
      "replica count 2^31",
      withDistributor({
        type: "SharedImage",
        galleryImageId: `${String(distribute[0].imageId).replace(/images\/img$/, "galleries/g/images/i")}`,
        imageId: undefined,
        location: undefined,
        targetRegions: [{ name: "westus", replicaCount: 2 ** 31 }],
      }),
      "distribute[0].targetRegions[0].replicaCount",
      /32-bit integer range/,
    ],
    [
      "a 5 MB inline line",
      { customize: [{ type: "Shell", name: "big", inline: ["x".repeat(5_000_000)] }] },
      "customize",
      /request body 4\.8 MiB; .* at most 4 MiB/,
    ],
    ["a newline in location", { location: "west\nus" }, "location", /region name: letters, digits and spaces/],
    ["a path in location", { location: "../../x" }, "location", /region name/],
    [
      "a constructor key",
      { source: { ...(valid.source as Bag), constructor: "x" } },
      "source.constructor",
      /not allowed/,
    ],
    ["a prototype key", { tag: { prototype: "x" } }, "tag.prototype", /not allowed/],
    // Issue 23: strings, lists and depth without a bound were accepted, or threw.
    ["a 1 MB location", { location: "a".repeat(MB) }, "location", /at most 64 characters \(got 1048576\)/],
    ["a 20,000-character location", { location: "a".repeat(20_000) }, "location", /at most 64 characters/],
    ["a 1 MB vmProfileVmsize", { vmProfileVmsize: "S".repeat(MB) }, "vmProfileVmsize", /at most 256 characters/],
    ["a 1 MB source.offer", { source: { ...source, offer: "o".repeat(MB) } }, "source.offer", /at most 256/],
    [
      "a 10,000-character customizer name",
      { customize: [{ type: "Shell", name: "n".repeat(10_000), inline: ["x"] }] },
      "customize[0].name",
      /at most 256 characters \(got 10000\)/,
    ],
    [
      "10,000 distributors",
      { distribute: Array.from({ length: 10_000 }, (_, i) => ({ ...distribute[0], runOutputName: `r${i}` })) },
      "distribute",
      /at most 100 items \(got 10000\)/,
    ],
    [
      "a 10,000-deep object",
      { build: { when: "onCreate", trigger: nested(10_000) } },
      `build.trigger${".a".repeat(31)}`,
      /nests deeper than 32 levels/,
    ],
  ];
}

describe("reliability: Azure's limits are refused by check, before any request", function () {
  this.timeout(120_000);
  let emu: TestEmulator;
  let restoreEnv: () => void;
  let rejected = 0;
  let tried = 0;

  before(async () => {
    emu = await startTestEmulator();
    trustEmulatorCertificate(emu.caPem);
    restoreEnv = applyEmulatorEnv(emu);
    await emu.admin.clearRequests();
  });
  after(async () => {
    const requests = emu ? (await emu.admin.requests()).length : -1;
    restoreEnv?.();
    await emu?.stop();
    recordFigure("limits", {
      label:
        "Arguments over Azure's limits or the documented bounds (tags, int32, 4 MiB body, regions, string lengths, list lengths, depth, prototype keys) / rejected naming path and rule / requests sent",
      value: `${tried} / ${rejected} / ${requests}`,
      expected: "all rejected / 0 requests",
      command: suiteCommand("limits.test.ts"),
    });
  });

  const valid = () => bagOf(templateArgs(emu.subscriptionId, "rg-limits", { imageTemplateName: "limits" }));

  it("the valid baseline, 49 tags of 512/256 characters (and the marker) and int32's maximum pass", async () => {
    const atLimit = { ...valid(), tag: tags(49, (i) => `${i}`.padEnd(512, "n"), "v".repeat(256)) };
    for (const args of [valid(), atLimit, { ...valid(), vmProfileOsdiskSizeGb: 2 ** 31 - 1, location: "West US 2" }]) {
      const { failures } = await provider.check({}, { ...args, __provider: "p" });
      assert.deepEqual(failures ?? [], []);
    }
  });

  it("each case fails with exactly its path and rule", async () => {
    for (const [what, patch, path, rule] of limitCases(valid())) {
      tried++;
      const { failures } = await provider.check({}, { ...valid(), ...patch, __provider: "p" });
      assert.equal(failures?.length, 1, `${what}: ${JSON.stringify(failures)?.slice(0, 500)}`);
      assert.equal(failures[0].property, path, what);
      assert.match(failures[0].reason, rule, what);
      rejected++;
    }
  });

  it("an own __proto__ key, and one the engine's decoding turned into a prototype, are refused by name", async () => {
    const asJson = JSON.parse(`{"__proto__": {"imageTemplateName": "hijack"}}`) as Bag;
    const asPrototype = Object.setPrototypeOf({}, { imageTemplateName: "hijack" }) as Bag;
    for (const [extra, path] of [
      [asJson, "__proto__"],
      [{ source: Object.assign(Object.setPrototypeOf({}, { x: 1 }), valid().source) }, "source.__proto__"],
    ] as [Bag, string][]) {
      tried++;
      const { inputs, failures } = await provider.check({}, { ...valid(), ...extra, __provider: "p" });
      assert.deepEqual(
        failures?.map((f) => [f.property, f.reason]),
        [[path, "is not allowed as a property name"]],
      );
      assert.equal((inputs as Bag).imageTemplateName, "limits", "the template name is not carried by __proto__");
      rejected++;
    }
    tried++;
    const { failures } = await provider.check({}, Object.assign(asPrototype, valid(), { __provider: "p" }));
    assert.deepEqual(
      failures?.map((f) => f.property),
      ["__proto__"],
    );
    rejected++;
  });

  it("a failing secret argument throws naming the property and [secret], never the value", async () => {
    tried++;
    const news = { ...valid(), imageTemplateName: SECRET_NAME, __secretKeys: ["imageTemplateName"], __provider: "p" };
    await assert.rejects(provider.check({}, news), (e: Error) => {
      assert.match(e.message, /property imageTemplateName value \[secret\] has a problem: must match/);
      assert.ok(!e.message.includes("SecretName-42"), e.message);
      return true;
    });
    rejected++;
  });

  it("sent no request for any of them", async () => {
    assert.deepEqual(await emu.admin.requests(), []);
  });
});

describe("reliability: a secret failing check through the real engine", function () {
  this.timeout(5 * 60_000);
  let suite: EngineSuite;

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    await pulumiBinDir();
    suite = await startEngineSuite();
  });
  after(async () => {
    await suite?.tearDown();
  });

  it("preview fails naming imageTemplateName and [secret]; the value appears nowhere in the output", async () => {
    const valid = bagOf(templateArgs(suite.emulator.subscriptionId, "rg-limits"));
    const { secret } = await import("@pulumi/pulumi");
    const stack = await suite.inlineStack("reliability-limits", "dev", async () => {
      new ImageTemplate("secret-name", { ...valid, imageTemplateName: secret(SECRET_NAME) } as never);
    });
    let output = "";
    await assert.rejects(stack.preview({ onOutput: (o) => (output += o) }), (e: Error) => {
      output += e.message;
      return true;
    });
    assert.match(output, /imageTemplateName value \[secret\] has a problem/);
    assert.ok(!output.includes("SecretName-42"), output);
    assert.deepEqual(await suite.emulator.admin.requests(), []);
    recordFigure("limits-secret", {
      label: "A secret argument failing check through the engine (preview): value printed",
      value: "0 times",
      expected: "0 times",
      command: suiteCommand("limits.test.ts"),
    });
  });
});
