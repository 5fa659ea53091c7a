import type { ImageTemplate } from "@azure/arm-imagebuilder";
import type * as pulumi from "@pulumi/pulumi";
import { checkEnv, configureFromStack, connect, type Connection } from "../azure/client";
import { deadlineIn, untilDone } from "../azure/wait";
import { describeFailure, isNotFound, provisioningRightsAdvice, serviceError } from "../errors";
import { type PropertyBag, providerMoved } from "../property-bag";
import { type DetailedDiffResult, detailOf } from "../property-changes";
import { addressOf, label, type TemplateAddress, templateId } from "./address";
import {
  awaitProvisioning,
  cancelAndWait,
  getOrUndefined,
  isBuildActive,
  isProvisioning,
  listRunOutputs,
  type RunOutputs,
  type RunRules,
} from "./build";
import { buildOnCreate, type OperationTimeout, resolveBuild } from "./build-settings";
import { applyChange } from "./change";
import { adopt } from "./patch";
import { checkInputs } from "./check";
import { ARG_KEYS, type ImageTemplateInputs } from "./codecs/args";
import { argsWithoutAnswers, canonicalArgs } from "./diff";
import { argsFromImageTemplate, toImageTemplate } from "./mapping";
import { markerOf, newMarker, OWNER_TAG, ownedBy, restoreCommand, standingOf, withMarker } from "./ownership";
import { buildAndRecord, ownershipGuard } from "./owed-build";
import { adoptionOf, plan } from "./plan";
import { type BuildProgress, declareUrn, progressFor } from "./progress";
import { providerOnly } from "./properties";
import { type BuildOutputs, computedFrom, outputs, partialFailure } from "./record";
import { fromProgram, type Hidden, hiddenBag, type Split, type Stored, stateOf, withProvider } from "./state";

/*
 * The I/O half of the dynamic provider. It is NOT serialized into state: the serialized provider (provider.ts)
 * `require`s this module by package name inside each method, so state holds a few hundred bytes and always runs the
 * installed version of this code.
 */

type Inputs = ImageTemplateInputs & PropertyBag;

async function deleteAndWait(c: Connection, a: TemplateAddress): Promise<void> {
  try {
    await untilDone(c, (options) =>
      c.client.virtualMachineImageTemplates.delete(a.resourceGroupName, a.imageTemplateName, options),
    );
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

export const configure = configureFromStack;

export async function check(olds: PropertyBag, news: PropertyBag): Promise<pulumi.dynamic.CheckResult> {
  const { urn } = fromProgram(news ?? {});
  if (urn !== undefined) declareUrn(urn);
  return checkInputs(olds ?? {}, news, { env: await checkEnv(news?.subscriptionId === undefined) });
}

/**
 * An owed build (trigger changed, previous build incomplete, onChange) makes an update even with equal arguments, and
 * so does a stored serialized provider other than the program's: the update sends nothing to Azure and records it.
 */
export async function diff(_id: string, olds: PropertyBag, news: PropertyBag): Promise<DetailedDiffResult> {
  const p = plan(olds, news);
  // An owed build with no argument changed is an update of the setting that owes it.
  const updates: string[] = p.build && !p.updates.includes("build") ? [...p.updates, "build"] : p.updates;
  return {
    changes: p.changes || providerMoved(olds, news),
    replaces: p.replaces,
    deleteBeforeReplace: p.deleteBeforeReplace,
    detailedDiff: detailOf(p.before.args, p.after.args, updates, p.replaces),
  };
}

/** `timeout`: the engine's customTimeouts.create, which a plugin receives (the dynamic provider host drops them). */
export async function create(props: PropertyBag, timeout?: OperationTimeout): Promise<pulumi.dynamic.CreateResult> {
  const inputs = props as Inputs;
  const split = stateOf(inputs);
  const a = addressOf(inputs);
  const c = connect(a.subscriptionId);
  const existing = await getOrUndefined(c, a);
  const { owner } = split.hidden;
  const marker = owner === undefined ? undefined : newMarker(owner);
  const marked: Split = marker ? { ...split, hidden: { ...split.hidden, ownership: marker } } : split;
  if (existing) {
    // A template marked by this very resource (a killed run made it, or --replace) is taken back without asking.
    if (split.args.adoptExisting !== true && !ownedBy(markerOf(existing), owner)) {
      // Not marked by this resource: someone else's template (another stack, another resource, made by hand).
      throw new Error(
        `${label(a)} already exists and is not marked as this resource's (its ${OWNER_TAG} tag names another resource or stack, or is missing). To manage it with Pulumi, set adoptExisting: true on this resource for one pulumi up, then remove it (its source, customize and other immutable arguments must match; tags, identity, vmProfile and distribute are reconciled), or choose another imageTemplateName.`,
      );
    }
    const settledTemplate = isProvisioning(existing) ? await provisioned(c, a, existing, marked.hidden) : existing;
    const adopted = await adopt(c, a, settledTemplate, split, adoptionOf(settledTemplate, split), marker);
    // Marked by this resource: a run recorded on it is this resource's (a killed up started it, or autoRun, or a
    // trigger): taken as the build owed rather than building twice.
    const takenBack = ownedBy(markerOf(existing), owner);
    return built(c, a, templateId(a), marked, adopted, takenBack ? () => true : undefined, timeout);
  }
  const body = toImageTemplate(inputs);
  if (marker) body.tags = withMarker(body.tags, marker);

  let accepted = false;
  const progress = progressFor(split.hidden, a);
  progress.status("creating the template");
  try {
    const created = await untilDone(
      c,
      (options) =>
        c.client.virtualMachineImageTemplates.createOrUpdate(a.resourceGroupName, a.imageTemplateName, body, options),
      () => {
        accepted = true;
      },
    );
    await progress.flush();
    if (created.provisioningState !== "Failed") return built(c, a, templateId(a), marked, created, undefined, timeout);
  } catch (e) {
    await progress.flush();
    // A rejected request (validation, auth, network) left nothing behind; a failed provisioning left a template;
    // an accepted PUT whose status could not be followed left one the engine must record, or it is orphaned.
    const left = await getOrUndefined(c, a).catch(() => undefined);
    if (left?.provisioningState === "Succeeded") return built(c, a, templateId(a), marked, left, undefined, timeout);
    if (left?.provisioningState !== "Failed") {
      const failure = describeFailure(`Creating ${label(a)}`, e).message;
      if (!left && !accepted) throw new Error(failure);
      const state = left ? `is in state ${left.provisioningState}` : "was accepted but could not be read back";
      return partialFailure(
        `${failure} The template ${state}; Pulumi records it, and the next pulumi up or refresh reads it again.`,
        templateId(a),
        withProvider(outputs(marked, left ?? { id: templateId(a) }), split),
      );
    }
  }
  return failProvisioning(c, a, split.args.identityUserAssignedIdentity?.[0]);
}

/** How long create waits for a template another run left Creating or Updating. */
const PROVISIONING_WAIT_MINUTES = 30;

/** The template a killed run left provisioning, once it has settled (the service refuses the adoption's PATCH before). */
async function provisioned(c: Connection, a: TemplateAddress, existing: ImageTemplate, hidden: Hidden) {
  const progress = progressFor(hidden, a);
  progress.line(`the template is ${existing.provisioningState} (an earlier run's request): waiting for it to settle`);
  const done = await awaitProvisioning(c, a, progress, deadlineIn(PROVISIONING_WAIT_MINUTES));
  if (!done) {
    throw new Error(
      `${label(a)} was still ${existing.provisioningState} after ${PROVISIONING_WAIT_MINUTES} minutes; run pulumi up again once it has settled.`,
    );
  }
  return done;
}

/** A created (or adopted) template, built first when the build settings ask for it. */
async function built(
  c: Connection,
  a: TemplateAddress,
  id: string,
  inputs: Split,
  template: ImageTemplate,
  counts?: RunRules["counts"],
  timeout?: OperationTimeout,
) {
  const reason = buildOnCreate(inputs.args);
  const computedBefore = computedFrom(inputs.args, template);
  const outs = reason
    ? await buildAndRecord({ c, a, id, inputs, computedBefore, reason, counts }, timeout)
    : outputs(inputs, template);
  return { id, outs };
}

/**
 * A Failed template blocks its name (the service refuses a new PUT): delete it, then report the service's error, and
 * for an identity that may not read a resource the template names, what to grant.
 */
async function failProvisioning(c: Connection, a: TemplateAddress, identityId: string | undefined): Promise<never> {
  const failed = await getOrUndefined(c, a).catch(() => undefined);
  const code = failed?.provisioningError?.provisioningErrorCode ?? "(no code)";
  const message = (failed?.provisioningError?.message ?? "(no message)").replace(/\.$/, "");
  const next = provisioningRightsAdvice(message, identityId) ?? "fix the cause and run pulumi up again.";
  let cleanup = "The failed template was deleted";
  try {
    await deleteAndWait(c, a);
  } catch (e) {
    cleanup = `Deleting the failed template also failed (${serviceError(e).message}); delete it by hand (az image builder delete -g ${a.resourceGroupName} -n ${a.imageTemplateName})`;
  }
  throw new Error(`Creating ${label(a)} failed: provisioning error ${code}: ${message}. ${cleanup}; ${next}`);
}

export async function read(id: string, props: PropertyBag): Promise<pulumi.dynamic.ReadResult> {
  const stored = props ?? {};
  const a = addressOf(stored, id);
  const template = await getOrUndefined(connect(a.subscriptionId), a);
  if (!template) return {};
  // What the service fills in where the program left a member out (a computed checksum, restartCommand "", ...) is
  // its answer, not drift; the stored spelling is kept for every argument the service still agrees with.
  const state = stateOf(stored);
  const live = argsWithoutAnswers({ ...argsFromImageTemplate(template), ...a }, state.args);
  const before = canonicalArgs(state.args);
  const now = canonicalArgs(live);
  const inputs: PropertyBag = {};
  for (const k of ARG_KEYS) {
    const keep = providerOnly(k) || JSON.stringify(before[k]) === JSON.stringify(now[k]);
    const v = keep ? state.args[k] : live[k];
    if (v !== undefined && v !== null) inputs[k] = v;
  }
  Object.assign(inputs, hiddenBag(state.hidden));
  // The id the engine holds (a refresh) or the program gave (ImageTemplate.get), in whatever casing: it named this
  // template, and the service's own spelling differs only in case.
  return {
    id,
    props: outputs(stateOf(inputs), template, await refreshedBuildOutputs(a, state, template)),
    inputs,
  };
}

/**
 * Run outputs as of the template's last run: the stored ones while that run is the one they came from, else read
 * again (a build finished after the last update: build.waitForCompletion false, autoRun, a trigger, the portal).
 */
async function refreshedBuildOutputs(
  a: TemplateAddress,
  stored: Stored,
  template: ImageTemplate,
): Promise<BuildOutputs> {
  const pending = stored.buildPending;
  const { lastRunStatusEndTime, runOutputs } = stored.computed;
  const status = template.lastRunStatus;
  const endTime = status?.endTime instanceof Date ? status.endTime.toISOString() : undefined;
  const succeeded = status?.runState === "Succeeded" || status?.runState === "PartiallySucceeded";
  if (!succeeded || (endTime === lastRunStatusEndTime && runOutputs !== undefined)) {
    return { runOutputs: runOutputs as RunOutputs | undefined, buildPending: pending };
  }
  try {
    return { runOutputs: await listRunOutputs(connect(a.subscriptionId), a), buildPending: false };
  } catch (e) {
    throw describeFailure(`Reading the run outputs of ${label(a)}`, e);
  }
}

/**
 * An update is a pipeline of stages, each in its module and each handed what the one before it left: the pure plan
 * (plan.ts), the change applied to the template (change.ts: ownership, adoption, the PATCH and its wait for a running
 * build), the build it owes (owed-build.ts), whose outputs are recorded (record.ts). `timeout`: the engine's
 * customTimeouts.update, which a plugin receives.
 */
export async function update(
  id: string,
  olds: PropertyBag,
  news: PropertyBag,
  timeout?: OperationTimeout,
): Promise<pulumi.dynamic.UpdateResult> {
  const a = addressOf(olds, id);
  const p = plan(olds, news);
  const applied = await applyChange(a, id, p);
  return { outs: "owed" in applied ? await buildAndRecord(applied.owed, timeout) : applied.outs };
}

/** The service refuses to delete a template while it builds: cancel the build, wait through Canceling, then delete. */
export async function $delete(id: string, props: PropertyBag): Promise<void> {
  const stored = props ?? {};
  const a = addressOf(stored, id);
  const progress = progressFor(stateOf(stored).hidden, a);
  try {
    await deleteTemplate(connect(a.subscriptionId), a, stored, progress);
  } finally {
    await progress.flush();
  }
}

async function deleteTemplate(c: Connection, a: TemplateAddress, stored: PropertyBag, progress: BuildProgress) {
  const current = await getOrUndefined(c, a);
  if (!current) return;
  const { ownership } = stateOf(stored).hidden;
  const standing = standingOf(markerOf(current), ownership);
  if (standing === "sibling") {
    // A replacement under the same name (pulumi up --replace) took the template over: it is no longer ours to delete.
    progress.line("left in place: a replacement of this resource now manages the template");
    return;
  }
  if (standing === "foreign") {
    // The template this resource made is gone; the one under its name was created or adopted by another owner.
    progress.line(
      `left in place: another stack or program owns the template now (its ${OWNER_TAG} tag is not this resource's); nothing was deleted`,
    );
    return;
  }
  if (standing === "unmarked") {
    throw new Error(
      `Deleting ${label(a)}: it no longer carries this resource's ${OWNER_TAG} tag (a tag edit removed it, or the template was created again outside Pulumi), so it may not be this stack's; nothing was deleted. If it is, put the tag back (${restoreCommand(templateId(a), ownership)}) and destroy again; to leave it in Azure and drop it from the stack, run pulumi state delete on its URN.`,
    );
  }
  if (isBuildActive(current)) {
    const timeout = deadlineIn(resolveBuild(stored).timeoutMinutes);
    const guard = ownershipGuard(a, ownership, "the cancel of its build");
    const stopped = await cancelAndWait(c, a, progress, timeout, guard);
    if (!stopped) {
      throw new Error(
        `Deleting ${label(a)} failed: its build did not stop after a cancel (runState ${current.lastRunStatus?.runState}). Retry pulumi destroy later.`,
      );
    }
    progress.line(`build ${stopped.lastRunStatus?.runState}; deleting the template`);
  }
  progress.status("deleting the template");
  try {
    await deleteAndWait(c, a);
  } catch (e) {
    throw describeFailure(`Deleting ${label(a)}`, e);
  }
}
