/**
 * The PATCH body for vmProfile changes. Whether the service merges a PATCHed vmProfile into the stored one or replaces
 * it is not documented, so a member the program removed is sent explicitly at its documented "unset" value (the API
 * description's default, or an empty list) rather than left out.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { ArgKey, ImageTemplateInputs } from "../../provider/image-template/codecs/args";
import { toUpdateParameters } from "../../provider/image-template/mapping";
import { minimalArgs, UAI_2 } from "./fixtures/args";

const SPEC = path.resolve(__dirname, "../../reference/imagebuilder-2025-10-01/openapi.json");
const vmProfile = (
  JSON.parse(readFileSync(SPEC, "utf8")) as {
    definitions: { ImageTemplateVmProfile: { properties: Record<string, { default?: unknown }> } };
  }
).definitions.ImageTemplateVmProfile.properties;

const MEMBERS: [ArgKey, string, unknown, unknown][] = [
  ["vmProfileVmsize", "vmSize", "Standard_D4s_v3", vmProfile.vmSize.default],
  ["vmProfileOsdiskSizeGb", "osDiskSizeGB", 128, vmProfile.osDiskSizeGB.default],
  ["vmProfileUserAssignedIdentities", "userAssignedIdentities", [UAI_2], []],
];

describe("PATCH body: removed vmProfile members are reset, not left out", () => {
  for (const [key, member, value, unset] of MEMBERS) {
    it(`${member}: removed from the program, sent as ${JSON.stringify(unset)}`, () => {
      const olds = { ...minimalArgs(), vmProfileVmsize: "Standard_D2s_v3", [key]: value };
      const news = { ...minimalArgs(), vmProfileVmsize: "Standard_D2s_v3" };
      delete (news as Record<string, unknown>)[key];
      const body = toUpdateParameters(
        olds as unknown as ImageTemplateInputs,
        news as unknown as ImageTemplateInputs,
        new Set<ArgKey>([key]),
      );
      const sent = body.properties?.vmProfile as Record<string, unknown> | undefined;
      assert.ok(sent, "the PATCH carries vmProfile");
      assert.ok(member in sent, `${member} is sent`);
      assert.deepEqual(sent[member], unset);
    });
  }
});
