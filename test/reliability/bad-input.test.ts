/**
 * Malformed arguments, generated with fast-check per category (wrong types, names breaking the pattern, empty and
 * oversized arrays, unknown discriminators, out-of-range numbers, malformed resource ids, two identities, unicode,
 * unknown members): each must be rejected by `check` with a failure naming the offending path, and not one request
 * may reach the emulator (ARM or token endpoint). A sample also goes through the real engine.
 */
import assert from "node:assert/strict";
import type * as pulumi from "@pulumi/pulumi";
import * as fc from "fast-check";
import { imageTemplateProvider, ImageTemplate } from "pulumi-azure-imagebuilder";
import { templateArgs } from "../fixtures/template-args";
import { applyEmulatorEnv, startTestEmulator, trustEmulatorCertificate, type TestEmulator } from "../helpers/emulator";
import { ENSURE_TIMEOUT_MS, pulumiBinDir } from "../e2e/helpers/engine";
import { startEngineSuite, type EngineSuite } from "../e2e/helpers/stacks";
import { recordFigure, suiteCommand } from "./summary";

type Bag = Record<string, unknown>;
const provider = imageTemplateProvider as Required<pulumi.dynamic.ResourceProvider>;
const RUNS = 25;
const NAME_PATTERN = /^[A-Za-z0-9-_.]{1,64}$/;

/** A well-formed argument set for a subscription; every case breaks exactly one thing in it. */
function validArgs(subscriptionId: string): Bag {
  return templateArgs(subscriptionId, "rg-bad", { imageTemplateName: "bad-input" });
}

/** One malformed variant: the argument set and the path its failure must name. */
interface Case {
  path: string;
  args: Bag;
  /** The rule the failure must state, where the category has one. */
  rule?: RegExp;
}

const notA = {
  string: fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.integer(), { minLength: 1 }), fc.object({ maxDepth: 1 })),
  integer: fc.oneof(fc.string(), fc.boolean(), fc.double({ noInteger: true, noNaN: true }), fc.constant([1])),
  array: fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.dictionary(fc.string(), fc.integer(), { minKeys: 1 })),
};
const resourceIdJunk = fc.oneof(
  fc.string(),
  fc.webUrl(),
  fc.constantFrom("/subscriptions/x", "/subscriptions//resourceGroups/rg", "rg/identity", "/resourceGroups/rg"),
  // Right words, wrong structure (a missing or misspelt segment). Note: the id codecs check structure only, so a
  // well-structured id with a non-GUID subscription passes check (see RELIABILITY.md, gaps).
  fc.string({ unit: "grapheme", minLength: 1 }).map((s) => `/subscriptions/${s}/resourceGroup/${s}`),
);
const badName = fc
  .oneof(
    fc.string({ maxLength: 80 }),
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 10 }),
    fc.stringMatching(/^[a-z]{65,90}$/),
    fc.constantFrom("", "has space", "slash/name", "naïve", "名前", "emoji-😀", "tab\tname"),
  )
  .filter((s) => !NAME_PATTERN.test(s));

/** A value `levels` objects (or lists) deep. */
function nested(levels: number, list: boolean): unknown {
  let value: unknown = "leaf";
  for (let i = 0; i < levels; i++) value = list ? [value] : { a: value };
  return value;
}

/** [path, its bound, the valid arguments' patch with a value of n characters or items there]. */
function oversized(valid: Bag): [string, number, (n: number) => Bag][] {
  const source = valid.source as Bag;
  const distribute = valid.distribute as Bag[];
  const step = (extra: Bag) => ({ customize: [{ type: "Shell", name: "s", inline: ["x"], ...extra }] });
  // A function: categories({}) is built once just for the names.
  const identity = () => (valid.identityUserAssignedIdentity as string[])[0];
  return [
    ["location", 64, (n) => ({ location: "a".repeat(n) })],
    ["vmProfileVmsize", 256, (n) => ({ vmProfileVmsize: "S".repeat(n) })],
    ["vnetConfigProxyVmSize", 256, (n) => ({ vnetConfigProxyVmSize: "S".repeat(n) })],
    ["source.offer", 256, (n) => ({ source: { ...source, offer: "o".repeat(n) } })],
    ["source.version", 256, (n) => ({ source: { ...source, version: "1".repeat(n) } })],
    ["customize[0].name", 256, (n) => step({ name: "n".repeat(n) })],
    ["customize[0].scriptUri", 8192, (n) => step({ inline: undefined, scriptUri: `https://a/${"x".repeat(n - 10)}` })],
    ["distribute[0].location", 64, (n) => ({ distribute: [{ ...distribute[0], location: "w".repeat(n) }] })],
    [
      "identityUserAssignedIdentity[0]",
      128,
      (n) => ({ identityUserAssignedIdentity: [`${identity().replace(/[^/]+$/, "")}${"i".repeat(n)}`] }),
    ],
    [
      "distribute",
      100,
      (n) => ({ distribute: Array.from({ length: n }, (_, i) => ({ ...distribute[0], runOutputName: `r${i}` })) }),
    ],
    [
      "customize",
      1000,
      (n) => ({ customize: Array.from({ length: n }, (_, i) => ({ type: "Shell", name: `s${i}`, inline: ["x"] })) }),
    ],
    ["additionalDataDisks", 64, (n) => ({ additionalDataDisks: Array.from({ length: n }, () => ({ sizeGB: 1 })) })],
  ];
}

/** Each category: a generator of cases built from the valid arguments. */
function categories(valid: Bag): Record<string, fc.Arbitrary<Case>> {
  const with_ = (path: string, patch: Bag): Case => ({ path, args: { ...valid, ...patch } });
  const source = valid.source as Bag;
  const distribute = valid.distribute as Bag[];
  return {
    "wrong types": fc.oneof(
      notA.string.map((v) => with_("location", { location: v })),
      notA.string.map((v) => with_("source.publisher", { source: { ...source, publisher: v } })),
      notA.integer.map((v) => with_("buildTimeoutInMinute", { buildTimeoutInMinute: v })),
      notA.array.map((v) => with_("customize", { customize: v })),
      notA.string.filter((v) => typeof v !== "object").map((v) => with_("tag.env", { tag: { env: v } })),
    ),
    "names breaking the pattern": fc.oneof(
      badName.map((v) => with_("imageTemplateName", { imageTemplateName: v })),
      badName.map((v) =>
        with_("distribute[0].runOutputName", { distribute: [{ ...distribute[0], runOutputName: v }] }),
      ),
    ),
    "empty or oversized arrays": fc.oneof(
      fc.constant(with_("distribute", { distribute: [] })),
      fc
        .integer({ min: 2, max: 6 })
        .map((n) =>
          with_("distribute[1].runOutputName", { distribute: Array.from({ length: n }, () => distribute[0]) }),
        ),
    ),
    "unknown discriminators": fc.oneof(
      fc.string().map((t) => with_("source.type", { source: { ...source, type: `x${t}` } })),
      fc.string().map((t) => with_("customize[0].type", { customize: [{ type: `x${t}`, name: "s" }] })),
      fc.string().map((t) => with_("distribute[0].type", { distribute: [{ ...distribute[0], type: `x${t}` }] })),
    ),
    "out-of-range numbers": fc.oneof(
      fc.integer({ min: 961, max: 1e9 }).map((v) => with_("buildTimeoutInMinute", { buildTimeoutInMinute: v })),
      fc.integer({ min: -1e9, max: -1 }).map((v) => with_("buildTimeoutInMinute", { buildTimeoutInMinute: v })),
      fc.integer({ min: -1e9, max: -1 }).map((v) => with_("vmProfileOsdiskSizeGb", { vmProfileOsdiskSizeGb: v })),
      fc
        .constantFrom(Infinity, -Infinity, NaN)
        .map((v) => with_("vmProfileOsdiskSizeGb", { vmProfileOsdiskSizeGb: v })),
    ),
    "malformed resource ids": fc.oneof(
      resourceIdJunk.map((v) => with_("identityUserAssignedIdentity[0]", { identityUserAssignedIdentity: [v] })),
      resourceIdJunk.map((v) => with_("stagingResourceGroup", { stagingResourceGroup: v })),
      resourceIdJunk.map((v) => with_("vnetConfigSubnetId", { vnetConfigSubnetId: v })),
      resourceIdJunk.map((v) => with_("distribute[0].imageId", { distribute: [{ ...distribute[0], imageId: v }] })),
      fc.string().map((v) => with_("subscriptionId", { subscriptionId: `not-a-guid${v}` })),
    ),
    "two or more identities": fc.integer({ min: 2, max: 5 }).map((n) =>
      with_("identityUserAssignedIdentity", {
        identityUserAssignedIdentity: Array.from(
          { length: n },
          (_, i) => `${(valid.identityUserAssignedIdentity as string[])[0]}${i}`,
        ),
      }),
    ),
    "unicode and control characters": fc.oneof(
      fc
        .string({ unit: "grapheme", minLength: 1, maxLength: 8 })
        .map((s) => with_("imageTemplateName", { imageTemplateName: `é${s}` })),
      fc
        .constantFrom("\u0000", "\u202e", "\ud800", "ﬁ", "İ")
        .map((s) => with_("resourceGroupName", { resourceGroupName: `rg${s}` })),
    ),
    // Issue 23: every string, list and depth is bounded (README, "Limits check enforces").
    "oversized strings and lists": fc.oneof(
      ...oversized(valid).map(([path, max, patch]) =>
        fc.integer({ min: max + 1, max: max * 8 }).map((n) => ({
          ...with_(path, patch(n)),
          rule: new RegExp(`at most ${max} (characters|items) \\(got ${n}\\)|at most ${max} characters`),
        })),
      ),
    ),
    "values nested too deep": fc
      .record({
        levels: fc.integer({ min: 33, max: 20_000 }),
        list: fc.boolean(),
        at: fc.constantFrom("build.trigger", "source.planInfo", "tag", "customize", "extra"),
      })
      .map(({ levels, list, at }) => {
        const deep = nested(levels, list);
        const patches: Record<string, Bag> = {
          "build.trigger": { build: { when: "onCreate", trigger: deep } },
          "source.planInfo": { source: { ...source, planInfo: deep } },
          tag: { tag: deep },
          customize: { customize: deep },
          extra: { extra: deep },
        };
        return { ...with_(at, patches[at]), rule: /nests deeper than 32 levels of objects and lists/ };
      }),
    "unknown members": fc
      .string({ minLength: 1 })
      .filter(
        (k) => !(k in valid) && !["__proto__", "constructor", "__provider", "__defaults", "__pulumiName"].includes(k),
      )
      .map((k) => with_(k, { [k]: "x" })),
  };
}

const names = (property: string, path: string) =>
  property === path || property.startsWith(`${path}.`) || property.startsWith(`${path}[`);

describe("reliability: malformed arguments are rejected by check, before any request", function () {
  this.timeout(120_000);
  let emu: TestEmulator;
  let restoreEnv: () => void;
  const tally = { tried: 0, rejected: 0, byCategory: {} as Record<string, number> };

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
    recordFigure("bad-input", {
      label: `Malformed argument sets tried in check (${Object.keys(tally.byCategory).length} categories) / rejected naming the path`,
      value: `${tally.tried} / ${tally.rejected}`,
      expected: "all rejected (>= 200)",
      command: suiteCommand("bad-input.test.ts"),
    });
    recordFigure("bad-input-requests", {
      label: "Requests (ARM + token) that reached the emulator for those inputs",
      value: requests,
      expected: 0,
      command: suiteCommand("bad-input.test.ts"),
    });
  });

  it("the valid baseline passes check (so each case fails for its one defect)", async () => {
    const { failures } = await provider.check({}, { ...validArgs(emu.subscriptionId), __provider: "p" });
    assert.deepEqual(failures ?? [], []);
  });

  // Categories are built lazily: the emulator's subscription id is known only after `before`.
  for (const category of Object.keys(categories({}))) {
    it(`${category}: every case fails check at its path`, async () => {
      await fc.assert(
        fc.asyncProperty(categories(validArgs(emu.subscriptionId))[category], async ({ path, args, rule }) => {
          tally.tried++;
          const { failures } = await provider.check({}, { ...args, __provider: "p" });
          const hit = (failures ?? []).some((f) => names(f.property, path) && (rule ?? /./).test(f.reason));
          assert.ok(hit, `expected a failure at ${path}, got ${JSON.stringify(failures)}`);
          tally.rejected++;
          tally.byCategory[category] = (tally.byCategory[category] ?? 0) + 1;
        }),
        { numRuns: RUNS },
      );
    });
  }

  it("tried at least 200 malformed argument sets, and none of them sent a request", async () => {
    assert.ok(tally.tried >= 200, `only ${tally.tried} cases`);
    assert.equal(tally.rejected, tally.tried);
    assert.deepEqual(await emu.admin.requests(), []);
  });
});

describe("reliability: malformed arguments through the real engine", function () {
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

  it("preview and up fail naming each path, and the emulator receives nothing", async () => {
    const valid = validArgs(suite.emulator.subscriptionId);
    // A function: categories({}) is built once just for the names.
    const identity = () => (valid.identityUserAssignedIdentity as string[])[0];
    const cases: [string, Bag, RegExp][] = [
      ["bad-name", { imageTemplateName: "not a valid name" }, /property imageTemplateName value .* must match/],
      ["bad-discriminator", { source: { type: "Floppy" } }, /property source\.type value .* must be one of/],
      // Issue 23: this passed check, then failed create and delete with HPE_HEADER_OVERFLOW.
      ["long-location", { location: "a".repeat(20_000) }, /property location value .* must be at most 64 characters/],
      [
        "two-identities",
        { identityUserAssignedIdentity: [identity, `${identity}2`] },
        /property identityUserAssignedIdentity value .* the service accepts exactly one/,
      ],
    ];
    const stack = await suite.inlineStack("reliability-bad-input", "dev", async () => {});
    await suite.emulator.admin.clearRequests();
    for (const [name, patch, expected] of cases) {
      stack.workspace.program = async () => {
        new ImageTemplate(name, { ...valid, ...patch } as never);
      };
      for (const run of [() => stack.preview(), () => stack.up()]) {
        await assert.rejects(run(), (e: Error) => expected.test(e.message));
      }
    }
    assert.deepEqual(await suite.emulator.admin.requests(), []);
    recordFigure("bad-input-engine", {
      label: "Malformed resources through the real engine (preview + up) / requests reaching the emulator",
      value: `${cases.length} rejected / 0 requests`,
      expected: `${cases.length} rejected / 0 requests`,
      command: suiteCommand("bad-input.test.ts"),
    });
  });
});
