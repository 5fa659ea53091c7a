/**
 * Users' existing JSON templates through the provider against the emulator: argsFromArmTemplate → check → create →
 * read → diff (no changes) → tag update in place → delete. The set: every image-template request example of the
 * official 2025-10-01 examples, plus templates in the 2020-02-14 and 2022-02-14 shapes Microsoft's docs show and an
 * `az image builder show` answer pasted back with its read-only members.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { argsFromArmTemplate } from "../../provider";
import { providerSuite } from "../helpers/provider-suite";

type Bag = Record<string, unknown>;

const OFFICIAL = path.resolve(__dirname, "../../reference/imagebuilder-2025-10-01/examples");
const OURS = path.join(__dirname, "fixtures/arm");

interface Case {
  name: string;
  /** The JSON as a user has it, `{subscription-id}` standing for the emulator's subscription. */
  text: string;
  /** The template name the example's request URL carries (an ARM resource's `name` otherwise). */
  imageTemplateName?: string;
}

const officialCases: Case[] = readdirSync(OFFICIAL)
  .map((file) => ({ file, example: JSON.parse(readFileSync(path.join(OFFICIAL, file), "utf8")) }))
  .filter(({ example }) => example.operationId === "VirtualMachineImageTemplates_CreateOrUpdate")
  .map(({ file, example }) => ({
    name: `official ${file}`,
    text: JSON.stringify(example.parameters.parameters),
    imageTemplateName: example.parameters.imageTemplateName,
  }));
const ourCases: Case[] = readdirSync(OURS).map((file) => ({
  name: file,
  text: readFileSync(path.join(OURS, file), "utf8"),
}));

describe("ARM/Bicep JSON templates through the provider", function () {
  this.timeout(60_000);
  const suite = providerSuite();
  const { provider, checked } = suite;
  const RG = "rg-arm";

  it("covers both official template requests and our 2020-02-14, 2022-02-14 and pasted-back templates", () => {
    assert.equal(officialCases.length, 2);
    assert.deepEqual(
      ourCases.map((c) => JSON.parse(c.text).apiVersion ?? JSON.parse(c.text).resources[0].apiVersion).sort(),
      ["2020-02-14", "2022-02-14", "2024-02-01"],
    );
  });

  for (const c of [...officialCases, ...ourCases]) {
    it(`${c.name}: converter -> check -> create -> read -> no diff -> tag update -> delete`, async () => {
      const json = JSON.parse(c.text.replaceAll("{subscription-id}", suite.emu().subscriptionId));
      const converted = argsFromArmTemplate(json) as Bag;
      const name = c.imageTemplateName ?? converted.imageTemplateName;
      const args: Bag = { ...converted, imageTemplateName: name, resourceGroupName: RG };
      const inputs = await checked(args);
      for (const readOnly of ["provisioningState", "lastRunStatus", "exactStagingResourceGroup"]) {
        assert.equal(inputs[readOnly], undefined, `${readOnly} is not an input`);
      }
      assert.equal((inputs.source as Bag).exactVersion, undefined, "source.exactVersion is not an input");

      const created = await provider.create(inputs);
      const outs = created.outs as Bag;
      assert.equal(outs.provisioningState, "Succeeded");
      const [live] = (await suite.emu().admin.state()).templates as { id: string; tags?: Bag }[];
      assert.equal(live.id.toLowerCase(), created.id.toLowerCase());

      const read = await provider.read(created.id, outs);
      assert.equal(read.id, created.id, "the id is stable across refresh");
      assert.deepEqual(read.inputs, inputs, "refresh shows no drift");
      assert.deepEqual(await provider.diff(created.id, read.props as Bag, await checked(args, inputs)), {
        changes: false,
        replaces: [],
        deleteBeforeReplace: false,
        detailedDiff: {},
      });

      const retagged = await checked({ ...args, tag: { ...(converted.tag as Bag), stage: "prod" } }, inputs);
      assert.deepEqual(await provider.diff(created.id, read.props as Bag, retagged), {
        changes: true,
        replaces: [],
        deleteBeforeReplace: false,
        detailedDiff: { tag: { kind: converted.tag === undefined ? "add" : "update", replace: false } },
      });
      const updated = await provider.update(created.id, read.props as Bag, retagged);
      assert.deepEqual((await suite.emu().admin.state()).templates[0].tags, retagged.tag);
      assert.deepEqual((updated.outs as Bag).tag, retagged.tag);

      await provider.delete(created.id, updated.outs as Bag);
      assert.deepEqual((await suite.emu().admin.state()).templates, []);
    });
  }
});
