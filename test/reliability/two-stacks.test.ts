/**
 * Two stacks whose programs name the same template (and trigger), through the real engine. Stack "alpha" creates it;
 * "beta"'s create is refused; the template is deleted out of band and "beta" creates it again. From then on every
 * write alpha's runs could send (the template's PATCH, a build's run, the cancel and DELETE of a destroy, the
 * trigger's DELETE; `up --refresh` and `refresh` too) must be refused or left alone with nothing sent, and beta's
 * template must stay beta's: 0 lost, 0 taken over. Today's update carried alpha's stored marker into its PATCH and
 * took the template over, after which alpha's destroy deleted it.
 */
import assert from "node:assert/strict";
import type { EngineStack } from "../e2e/helpers/engine-stack";
import { ImageTemplate, ImageTemplateTrigger } from "pulumi-azure-imagebuilder";
import type { ImageTemplateInputs } from "pulumi-azure-imagebuilder";
import { OWNER_TAG } from "../../provider/image-template/ownership";
import { templateArgs } from "../fixtures/template-args";
import { ENSURE_TIMEOUT_MS, pulumiBinDir } from "../e2e/helpers/engine";
import { startEngineSuite, templates, type EngineSuite } from "../e2e/helpers/stacks";
import { recordFigure, suiteCommand } from "./summary";

const PROJECT = "two-stacks";
const RG = "rg-shared";
const NAME = "shared-template";
const TRIGGER = "on-new-source";

/** What each stack's program declares; changed between runs (the inline program reads it when it runs). */
interface Declared {
  tag: Record<string, string>;
  build: ImageTemplateInputs["build"];
}

describe("reliability: two stacks naming one template (real engine)", function () {
  this.timeout(5 * 60_000);
  let suite: EngineSuite;
  const declared: Record<string, Declared> = {};
  const stacks: Record<string, EngineStack> = {};
  /** Writes alpha sent to the template or trigger once beta held it, by kind of write. */
  const sent: Record<string, number> = {};
  let lost = 0;
  let takenOver = 0;

  const program = (name: string) => async () => {
    const { tag, build } = declared[name];
    const subscriptionId = suite.emulator.subscriptionId;
    const template = new ImageTemplate(
      "shared",
      templateArgs(subscriptionId, RG, { imageTemplateName: NAME, tag, build }),
    );
    new ImageTemplateTrigger("shared-trigger", {
      resourceGroupName: RG,
      imageTemplateName: template.imageTemplateName,
      triggerName: TRIGGER,
      kind: "SourceImage",
    });
    return { name: template.imageTemplateName };
  };

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    await pulumiBinDir();
    suite = await startEngineSuite();
    for (const name of ["alpha", "beta"]) {
      declared[name] = { tag: { env: "test" }, build: { when: "never" } };
      stacks[name] = await suite.inlineStack(PROJECT, name, program(name));
    }
  });
  after(async () => {
    recordFigure("two-stacks", {
      label:
        "Two stacks naming one template: requests sent by the stack that lost it (create, PATCH, run, cancel, DELETE, trigger DELETE, up --refresh) / templates lost / taken over",
      value: `${Object.values(sent).reduce((n, v) => n + v, 0)} (${Object.entries(sent)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}) / ${lost} / ${takenOver}`,
      expected: "0 / 0 / 0",
      command: suiteCommand("two-stacks.test.ts"),
    });
    await suite?.tearDown();
  });

  const live = async () => (await templates(suite.emulator)).find((t) => t.name === NAME);
  const marker = async () => (await live())?.tags?.[OWNER_TAG];
  const triggers = async () => (await suite.emulator.admin.state()).triggers as { name: string; id: string }[];
  /** ARM writes (anything but GET) logged since the last clearRequests. */
  const writes = async () =>
    (await suite.emulator.admin.requests()).filter((r) => r.kind === "arm" && r.method !== "GET");

  /** Runs `step` as alpha; counts the writes it sent and whether beta's template survived it, still beta's. */
  async function asAlpha(write: string, step: () => Promise<unknown>): Promise<void> {
    const before = await marker();
    await suite.emulator.admin.clearRequests();
    await step();
    const w = await writes();
    sent[write] = (sent[write] ?? 0) + w.length;
    const after = await marker();
    if (after === undefined) lost++;
    else if (after !== before) takenOver++;
    assert.deepEqual(
      w.map((r) => `${r.method} ${r.path}`),
      [],
      `alpha sent no write (${write})`,
    );
    assert.equal(after, before, `beta's template is still beta's (${write})`);
  }

  const fails = async (stack: EngineStack, options: Parameters<EngineStack["up"]>[0], pattern: RegExp) => {
    await assert.rejects(stack.up(options), (e: Error) => {
      assert.match(e.message, pattern);
      return true;
    });
  };
  const OWNED_ELSEWHERE =
    /is owned by another stack or program: its pulumi-imagebuilder-owner tag is not this resource's/;

  it("alpha creates the template; beta's create is refused, sending nothing", async () => {
    await stacks.alpha.up();
    const alphas = await marker();
    assert.ok(alphas);
    await suite.emulator.admin.clearRequests();
    await fails(stacks.beta, {}, /already exists and is not marked as this resource's/);
    assert.deepEqual(await writes(), []);
    assert.equal(await marker(), alphas);
    sent.create = 0;
  });

  it("deleted out of band and created again by beta: alpha's tag-only up fails without a write", async () => {
    const template = (await live())!;
    await suite.emulator.admin.deleteRaw(`${template.id}/triggers/${TRIGGER}`);
    await suite.emulator.admin.deleteRaw(template.id);
    await stacks.beta.up();
    assert.equal((await triggers()).length, 1, "beta's trigger");

    declared.alpha.tag = { env: "changed" };
    await asAlpha("PATCH", () => fails(stacks.alpha, {}, OWNED_ELSEWHERE));
  });

  it("alpha's refresh and up --refresh read, never write a marker, and the up still fails", async () => {
    await asAlpha("refresh", () => stacks.alpha.refresh());
    await asAlpha("up --refresh", () => fails(stacks.alpha, { refresh: true }, OWNED_ELSEWHERE));
    await asAlpha("up --refresh", () => fails(stacks.alpha, { refresh: true }, OWNED_ELSEWHERE));
  });

  it("alpha's owed build sends no run", async () => {
    declared.alpha = { tag: { env: "test" }, build: { when: "onCreate", trigger: "rebuild" } };
    await asAlpha("run", () => fails(stacks.alpha, {}, /Nothing was sent \(the build's run\)/));
  });

  it("alpha's destroy while beta's template builds: no cancel, no DELETE of the template or its trigger", async () => {
    await suite.emulator.admin.setTiming({ buildDurationMs: 10 * 60_000 });
    declared.beta.build = { when: "onCreate", trigger: "first", waitForCompletion: false };
    await stacks.beta.up();
    assert.equal((await live())?.properties.provisioningState, "Succeeded");
    const running = async () =>
      ((await live()) as unknown as { properties: { lastRunStatus?: { runState?: string } } }).properties.lastRunStatus
        ?.runState;
    assert.equal(await running(), "Running");

    await asAlpha("cancel / DELETE / trigger DELETE", () => stacks.alpha.destroy());
    assert.equal(await running(), "Running", "beta's build was not canceled");
    assert.equal((await triggers()).length, 1, "beta's trigger is kept");
    const resources = (await stacks.alpha.exportStack()).deployment.resources ?? [];
    assert.equal(resources.length, 0, "alpha's state let go of what it no longer owns");
  });

  it("beta still owns and can destroy its template and trigger", async () => {
    await stacks.beta.destroy();
    assert.equal(await live(), undefined);
    assert.deepEqual(await triggers(), []);
    await suite.emulator.admin.setTiming({ buildDurationMs: 600 });
  });
});
