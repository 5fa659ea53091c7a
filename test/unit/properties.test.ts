import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type * as t from "io-ts";
import { ARG_KEYS, ImageTemplateArgsCodec } from "../../provider/image-template/codecs/args";
import { stringMap } from "../../provider/codecs/combinators";
import { classify } from "../../provider/image-template/diff";
import { diffInputs } from "../../provider/image-template/plan";
import { plan } from "../../provider/image-template/plan";
import { ARGUMENTS, type Change, MEMBERS } from "../../provider/image-template/properties";
import { GALLERY_IMAGE, maximalArgs, minimalArgs, SUBNET } from "./fixtures/args";

const EXAMPLES = path.resolve(__dirname, "../../reference/imagebuilder-2025-10-01/examples");

/** Every member path the codecs define ("distribute[].targetRegions[].replicaCount") with its codec. */
function codecPaths(codec: t.Mixed, prefix = "", out = new Map<string, t.Mixed[]>()): Map<string, t.Mixed[]> {
  const c = codec as t.Mixed & { required?: t.Props; optional?: t.Props; item?: t.Mixed; members?: t.Props };
  if (c.required && c.optional) {
    for (const [key, member] of Object.entries({ ...c.required, ...c.optional })) {
      const p = prefix ? `${prefix}.${key}` : key;
      out.set(p, [...(out.get(p) ?? []), member]);
      codecPaths(member, p, out);
    }
  } else if (c.item) codecPaths(c.item, `${prefix}[]`, out);
  else if (c.members) for (const member of Object.values(c.members)) codecPaths(member, prefix, out);
  return out;
}
const CODEC_PATHS = codecPaths(ImageTemplateArgsCodec);

/** The table's argument or member for a wire path of a request body, or why there is none. */
function entryOfWirePath(wire: string): string {
  for (const [key, a] of Object.entries(ARGUMENTS)) {
    if (!a.arm) continue;
    if (wire === a.arm) return key;
    if (!wire.startsWith(`${a.arm}.`) && !wire.startsWith(`${a.arm}[]`)) continue;
    if (a.mapKeys) return key; // identity.userAssignedIdentities.{id}: the ids are the argument's list.
    const member = (key + wire.slice(a.arm.length)).replace(/\[\]$/, ""); // an item of a list of scalars
    // Below a map of strings (tags), the keys are the user's.
    const map = [...CODEC_PATHS.keys()].find(
      (p) => member.startsWith(`${p}.`) && CODEC_PATHS.get(p)!.includes(stringMap),
    );
    if (map) return map;
    assert.ok(MEMBERS[member], `${wire} (${member}) has no entry in the property table`);
    return member;
  }
  assert.fail(`${wire} belongs to no argument of the property table`);
}

function wireLeaves(value: unknown, prefix = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => wireLeaves(v, `${prefix}[]`));
  if (typeof value === "object" && value !== null && Object.keys(value).length > 0) {
    return Object.entries(value).flatMap(([k, v]) => wireLeaves(v, prefix ? `${prefix}.${k}` : k));
  }
  return [prefix];
}

describe("property table", () => {
  it("has one entry for every argument and every nested member of the codecs, and none for anything else", () => {
    assert.deepEqual(Object.keys(ARGUMENTS).sort(), [...ARG_KEYS].sort());
    const nested = [...CODEC_PATHS.keys()].filter((p) => !(ARG_KEYS as string[]).includes(p));
    assert.deepEqual(Object.keys(MEMBERS).sort(), nested.sort());
  });

  it("has an entry for every member of the 2025-10-01 request bodies (PUT and PATCH examples)", () => {
    const requests = readdirSync(EXAMPLES)
      .map((f) => JSON.parse(readFileSync(path.join(EXAMPLES, f), "utf8")))
      .filter((e) => /^VirtualMachineImageTemplates_(CreateOrUpdate|Update)$/.test(e.operationId));
    assert.equal(requests.length, 5);
    const covered = new Set<string>();
    for (const example of requests) {
      for (const leaf of wireLeaves(example.parameters.parameters)) covered.add(entryOfWirePath(leaf));
    }
    // The examples exercise the template's main parts; the walk above holds each of their members to the table.
    for (const key of ["location", "tag", "identityType", "identityUserAssignedIdentity", "source", "customize"]) {
      assert.ok(
        [...covered].some((c) => c === key || c.startsWith(`${key}.`) || c.startsWith(`${key}[]`)),
        key,
      );
    }
    assert.ok(covered.size > 20, `only ${covered.size} entries reached`);
  });

  it("documents every entry in one line", () => {
    for (const [key, entry] of [...Object.entries(ARGUMENTS), ...Object.entries(MEMBERS)]) {
      assert.match(entry.doc, /^\S.*[.)]$/, `${key}: doc`);
      assert.doesNotMatch(entry.doc, /\n/, `${key}: doc`);
    }
  });

  it("the diff classification is the table's change of each argument", () => {
    const expected: Record<Change, string> = { replace: "replace", update: "update", setting: "update", none: "none" };
    for (const key of ARG_KEYS) assert.equal(classify(key), expected[ARGUMENTS[key].change], key);
  });

  it("making a member updatable in place is one change in the table: diff and the PATCH body follow it", () => {
    const olds = { ...minimalArgs(), vnetConfigSubnetId: SUBNET, vnetConfigProxyVmSize: "Standard_A1_v2" };
    const news = { ...olds, vnetConfigProxyVmSize: "Standard_A2_v2" };
    assert.deepEqual(plan(olds, news).replaces, ["vnetConfigProxyVmSize"]);
    const entry = ARGUMENTS.vnetConfigProxyVmSize;
    const saved = entry.change;
    entry.change = "update";
    try {
      const p = plan(olds, news);
      assert.deepEqual(p.replaces, []);
      assert.deepEqual(p.patchKeys, ["vnetConfigProxyVmSize"]);
      assert.deepEqual(p.patch, {
        properties: { vmProfile: { vnetConfig: { subnetId: SUBNET, proxyVmSize: "Standard_A2_v2" } } },
      });
    } finally {
      entry.change = saved;
    }
  });

  it("a service default comes from the table entry of that path only", () => {
    const entry = MEMBERS["distribute[].versioning.major"];
    const gallery = (major?: number) => ({
      ...minimalArgs(),
      distribute: [
        {
          type: "SharedImage",
          runOutputName: "sig",
          galleryImageId: GALLERY_IMAGE,
          versioning: { scheme: "Latest", ...(major === undefined ? {} : { major }) },
        },
      ],
    });
    assert.equal(diffInputs(gallery(), gallery(-1)).changes, false);
    assert.equal(diffInputs(gallery(), gallery(2)).changes, true);
    const saved = entry.default;
    entry.default = 2;
    try {
      assert.equal(diffInputs(gallery(), gallery(2)).changes, false);
      assert.equal(diffInputs(gallery(), gallery(-1)).changes, true);
    } finally {
      entry.default = saved;
    }
  });
});

describe("property table: no rule by leaf name", () => {
  const withDistributeTags = (artifactTags: Record<string, string>) => {
    const args = maximalArgs();
    const distribute = structuredClone(args.distribute) as Record<string, unknown>[];
    distribute[0] = { ...distribute[0], artifactTags };
    return { ...args, distribute };
  };

  it("a tag named like a member with a default (uri, sha256Checksum) keeps its empty value", () => {
    const olds = { ...minimalArgs(), tag: { uri: "", sha256Checksum: "" } };
    assert.deepEqual(diffInputs(olds, minimalArgs()).updates, ["tag"]);
    assert.deepEqual(diffInputs({ ...minimalArgs(), managedResourceTags: { major: "-1" } }, minimalArgs()).replaces, [
      "managedResourceTags",
    ]);
  });

  it("a tag named like a region or id member compares exactly", () => {
    const a = withDistributeTags({ location: "West US", imageId: "ABC" });
    assert.deepEqual(diffInputs(a, withDistributeTags({ location: "westus", imageId: "ABC" })).updates, ["distribute"]);
    assert.deepEqual(diffInputs(a, withDistributeTags({ location: "West US", imageId: "abc" })).updates, [
      "distribute",
    ]);
  });

  it("the same leaf name under two paths follows each path's rule", () => {
    // distribute[].location is a region; customize[].name is plain text.
    const base = maximalArgs();
    const distribute = structuredClone(base.distribute) as Record<string, unknown>[];
    const managed = distribute.findIndex((d) => d.type === "ManagedImage");
    distribute[managed] = { ...distribute[managed], location: "West US" };
    assert.equal(diffInputs({ ...base, distribute }, { ...base, distribute: base.distribute }).changes, false);
    const customize = structuredClone(base.customize) as Record<string, unknown>[];
    customize[0] = { ...customize[0], name: String(customize[0].name).toUpperCase() };
    assert.deepEqual(diffInputs(base, { ...base, customize }).replaces, ["customize"]);
  });

  it("leaves no rule keyed by a bare member name in diff.ts or mapping.ts", () => {
    for (const file of ["provider/image-template/diff.ts", "provider/image-template/mapping.ts"]) {
      const text = readFileSync(path.resolve(__dirname, "../..", file), "utf8");
      for (const leaf of ["sha256Checksum", "major", "uri", "replicaCount", "replicationRegions", "imageId"]) {
        assert.doesNotMatch(text, new RegExp(`\\b${leaf}\\b`), `${file} names ${leaf}`);
      }
      assert.doesNotMatch(text, /VM_PROFILE_KEYS|VM_PROFILE_RESET|CASE_INSENSITIVE|REGIONS|\bDEFAULTS\b/, file);
    }
  });
});
