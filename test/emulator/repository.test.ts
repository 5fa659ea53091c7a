/** The repository between the emulator's handlers and its stored state, and what it saves (state.json and its journal). */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { emptyState, keyOf, parseState, type TemplateRecord, type TriggerRecord } from "../../emulator/model";
import { readPersisted } from "../../emulator/persistence";
import { imageTemplateId } from "../../emulator/resource-ids";
import { StateRepository } from "../../emulator/store/state-repository";

const NOW = Date.parse("2026-01-01T00:00:00Z");

function template(resourceGroup: string, name: string, extra: Partial<TemplateRecord> = {}): TemplateRecord {
  return {
    id: imageTemplateId("sub", resourceGroup, name),
    name,
    subscriptionId: "sub",
    resourceGroup,
    location: "westus",
    identity: { type: "None" },
    properties: { source: { type: "PlatformImage" } },
    systemData: {},
    provisioning: { state: "Succeeded" },
    exactStagingResourceGroup: "/subscriptions/sub/resourceGroups/IT_x",
    runCount: 0,
    ...extra,
  };
}

function trigger(t: TemplateRecord, name: string, extra: Partial<TriggerRecord> = {}): TriggerRecord {
  return {
    id: `${t.id}/triggers/${name}`,
    name,
    templateKey: keyOf(t.id),
    properties: { kind: "SourceImage" },
    systemData: {},
    createdAt: new Date(NOW).toISOString(),
    provisioning: { state: "Succeeded" },
    ...extra,
  };
}

describe("emulator: repository", () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "emu-repo-"));
    file = path.join(dir, "state.json");
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("gets, lists, puts and deletes templates, triggers and operations", async () => {
    const repo = await StateRepository.open(file);
    const a = template("rg1", "a");
    const b = template("rg2", "b");
    repo.putTemplate(keyOf(a.id), a);
    repo.putTemplate(keyOf(b.id), b);
    assert.equal(repo.template(keyOf(a.id), NOW), a);
    assert.equal(repo.template(keyOf(imageTemplateId("sub", "rg1", "none")), NOW), undefined);
    assert.deepEqual(repo.templatesUnder("/subscriptions/sub/resourcegroups/rg2/", NOW), [b]);
    assert.deepEqual(repo.templatesUnder("", NOW), [a, b]);

    const ta = trigger(a, "t");
    const tb = trigger(b, "t");
    repo.putTrigger(keyOf(ta.id), ta);
    repo.putTrigger(keyOf(tb.id), tb);
    assert.equal(repo.trigger(keyOf(ta.id), NOW), ta);
    assert.deepEqual(repo.triggersOf(keyOf(a.id), NOW), [ta]);
    assert.deepEqual(repo.triggers(NOW), [ta, tb]);

    const op = repo.startOperation({ template: a, now: NOW, durationMs: 5 });
    assert.equal(op.resourceKey, keyOf(a.id));
    assert.equal(repo.operation(op.id), op);
    assert.deepEqual(repo.operations(), [op]);
    repo.cancelOperation(op.id, NOW + 2);
    assert.deepEqual([repo.operation(op.id)?.outcome, repo.operation(op.id)?.completesAt], ["Canceled", NOW + 2]);

    assert.equal(repo.deleteTemplate(keyOf(a.id)), true, "deleting a template");
    assert.equal(repo.template(keyOf(a.id), NOW), undefined);
    assert.deepEqual(repo.triggers(NOW), [tb], "takes its triggers with it");
    assert.equal(repo.deleteTemplate(keyOf(a.id)), false, "a second time finds none");
    assert.equal(repo.deleteTrigger(keyOf(tb.id)), true);
    assert.equal(repo.deleteTrigger(keyOf(tb.id)), false);

    repo.clear();
    assert.deepEqual([repo.templatesUnder("", NOW), repo.triggers(NOW), repo.operations()], [[], [], []]);
  });

  it("forgets operations finished over 15 minutes ago once 500 are held, when another starts", async () => {
    const repo = await StateRepository.open(file);
    const t = template("rg", "t");
    for (let i = 0; i < 500; i++) repo.startOperation({ template: t, now: NOW - 20 * 60_000, durationMs: 1000 });
    assert.equal(repo.operations().length, 500);
    const fresh = repo.startOperation({ template: t, now: NOW, durationMs: 1000 });
    assert.deepEqual(repo.operations(), [fresh]);
  });

  it("applies due transitions on read: a finished create succeeds, a finished delete is gone with its triggers", async () => {
    const repo = await StateRepository.open(file);
    const creating = template("rg", "creating", {
      provisioning: { state: "Creating", until: NOW + 10, then: "Succeeded" },
    });
    const deleting = template("rg", "deleting", { provisioning: { state: "Deleting", until: NOW + 10, then: "Gone" } });
    repo.putTemplate(keyOf(creating.id), creating);
    repo.putTemplate(keyOf(deleting.id), deleting);
    const tr = trigger(deleting, "t");
    repo.putTrigger(keyOf(tr.id), tr);

    assert.equal(repo.template(keyOf(creating.id), NOW + 9)?.provisioning.state, "Creating");
    assert.equal(repo.template(keyOf(deleting.id), NOW + 9)?.provisioning.state, "Deleting");
    assert.deepEqual(repo.template(keyOf(creating.id), NOW + 10)?.provisioning, { state: "Succeeded" });
    assert.equal(repo.template(keyOf(deleting.id), NOW + 10), undefined);
    assert.deepEqual(repo.triggers(NOW + 10), []);
    assert.deepEqual(
      repo.templatesUnder("", NOW + 10).map((t) => t.name),
      ["creating"],
    );
  });

  it("saves every record to state.json on commit, and a reopened repository reads them back", async () => {
    const repo = await StateRepository.open(file);
    const t = template("rg", "kept");
    const tr = trigger(t, "t");
    repo.putTemplate(keyOf(t.id), t);
    repo.putTrigger(keyOf(tr.id), tr);
    const op = repo.startOperation({ template: t, now: NOW, durationMs: 5 });
    await repo.commit();

    const saved = await readPersisted(file, emptyState, parseState);
    assert.deepEqual(saved, {
      version: 1,
      templates: { [keyOf(t.id)]: t },
      triggers: { [keyOf(tr.id)]: tr },
      operations: { [op.id]: op },
      settings: {},
    });
    const reopened = await StateRepository.open(file);
    assert.deepEqual(reopened.template(keyOf(t.id), NOW), t);
    assert.deepEqual(reopened.triggersOf(keyOf(t.id), NOW), [tr]);
    assert.deepEqual(reopened.operation(op.id), op);
  });

  it("does not save a write until commit, nor a transition applied on read on its own", async () => {
    const repo = await StateRepository.open(file);
    const t = template("rg", "going", { provisioning: { state: "Deleting", until: NOW + 10, then: "Gone" } });
    repo.putTemplate(keyOf(t.id), t);
    assert.deepEqual(await readPersisted(file, emptyState, parseState), emptyState(), "nothing saved before commit");
    await repo.commit();
    assert.equal(repo.template(keyOf(t.id), NOW + 10), undefined);
    const saved = await readPersisted(file, emptyState, parseState);
    assert.deepEqual(Object.keys(saved.templates), [keyOf(t.id)], "the removal is derived again after a restart");
    const reopened = await StateRepository.open(file);
    assert.equal(reopened.template(keyOf(t.id), NOW + 10), undefined);
  });
});
