/**
 * The ownership marker (provider/image-template/ownership.ts) through the in-process provider: a create's marker is hidden from the
 * arguments and outputs; the same resource meeting its own template again (a killed run made it) takes it back
 * without adoptExisting; a `--replace` that did so leaves the old resource's delete nothing to delete; another
 * resource (other stack or name) meeting the template still gets "already exists"; a tag PATCH keeps the marker.
 */
import assert from "node:assert/strict";
import { OWNER_TAG } from "../../provider/image-template/ownership";
import { templateArgs } from "../fixtures/template-args";
import { providerSuite } from "../helpers/provider-suite";
import { recordFigure, suiteCommand } from "./summary";

type Bag = Record<string, unknown>;
const bagOf = (args: object): Bag => ({ ...args });

describe("reliability: the ownership marker", function () {
  this.timeout(60_000);
  const { provider, emu: current, checked: checkedBag } = providerSuite();
  const tally = { cases: 0, held: 0 };

  after(() =>
    recordFigure("ownership", {
      label:
        "Ownership marker: own orphan taken back, --replace's delete skipped, foreign template refused, marker kept on PATCH / cases",
      value: `${tally.held} / ${tally.cases}`,
      expected: "all held",
      command: suiteCommand("ownership.test.ts"),
    }),
  );
  beforeEach(() => tally.cases++);

  const checked = (seed: string, extra: Bag = {}) =>
    checkedBag({
      ...bagOf(templateArgs(current().subscriptionId, "rg-own", { imageTemplateName: "owned", ...extra })),
      __autonameSeed: seed,
      __pulumiName: "owned",
    });
  const held = async () =>
    (await current().admin.state()).templates as { name: string; tags?: Record<string, string> }[];
  const marker = async () => (await held())[0]?.tags?.[OWNER_TAG];

  it("marks a created template, and keeps the marker out of the arguments and outputs", async () => {
    const { outs } = await provider.create(await checked("proj/dev/owned"));
    const m = await marker();
    assert.match(m ?? "", /^[0-9a-f]{32}\.[0-9a-f]{16}$/);
    assert.deepEqual(outs.tag, { env: "test" }, "the tag output is the user's");
    assert.equal(outs.__ownership, m);
    const read = await provider.read(String(outs.resourceId), outs);
    assert.deepEqual(read.props?.tag, { env: "test" });
    assert.equal(read.props?.__ownership, m);
    tally.held++;
  });

  it("takes back its own template (killed run, --replace) with a new nonce; the old state's delete leaves it", async () => {
    const first = await provider.create(await checked("proj/dev/owned"));
    const before = await marker();
    const second = await provider.create(await checked("proj/dev/owned"));
    const after = await marker();
    assert.equal(second.id, first.id);
    assert.notEqual(after, before, "the nonce is rewritten");
    assert.equal(second.outs.__ownership, after);
    await provider.delete(first.id, first.outs);
    assert.equal((await held()).length, 1, "the old resource's delete left the template to its replacement");
    await provider.delete(second.id, second.outs);
    assert.equal((await held()).length, 0, "the owner's delete deletes it");
    tally.held++;
  });

  it("still refuses a template another resource or stack marked", async () => {
    await provider.create(await checked("proj/dev/owned"));
    await assert.rejects(provider.create(await checked("proj/prod/owned")), /already exists/);
    assert.equal((await held()).length, 1);
    tally.held++;
  });

  it("keeps the marker when tags are patched", async () => {
    const { id, outs } = await provider.create(await checked("proj/dev/owned"));
    const m = await marker();
    const news = await checked("proj/dev/owned", { tag: { env: "prod" } });
    const { outs: updated } = await provider.update(id, outs, news);
    assert.deepEqual((await held())[0].tags, { env: "prod", [OWNER_TAG]: m });
    assert.equal(updated?.__ownership, m);
    tally.held++;
  });
});
