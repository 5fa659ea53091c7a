import type { ImageTemplate, ImageTemplateUpdateParameters } from "@azure/arm-imagebuilder";
import type * as pulumi from "@pulumi/pulumi";
import { checkEnv, configureFromStack, connect, type Connection } from "../azure/client";
import { untilDone } from "../azure/wait";
import {
  awaitProvisioning,
  BuildProgress,
  cancelAndWait,
  isBuildActive,
  isProvisioning,
  listRunOutputs,
  readTemplate,
  runBuild,
  type BuildResult,
  type Guard,
  type RunOutputs,
  type RunRules,
} from "./build";
import { BuildLog, failureDetails } from "./build-log";
import { buildOnCreate, resolveBuild } from "./build-settings";
import { afterRunningBuild } from "./build";
import { checkInputs } from "./check";
import { ARG_KEYS, type ArgKey, type ImageTemplateInputs } from "./codecs/args";
import { argsWithoutAnswers, canonicalArgs } from "./diff";
import { plan } from "./plan";
import { providerOnly } from "./properties";
import {
  describeFailure,
  expiredStaticToken,
  identityRightsAdvice,
  isNotFound,
  provisioningRightsAdvice,
  serviceError,
} from "../errors";
import { historyOf, withBuild } from "./build-estimate";
import { logProgress } from "./log-progress";
import { plannedSteps } from "./build-log";
import { type PropertyBag, providerMoved } from "../property-bag";
import { markerOf, newMarker, OWNER_TAG, ownedBy, refusal, restoreCommand, standingOf, withMarker } from "./ownership";
import { parseTemplateId, type TemplateAddress, templateId } from "./address";
import { argsFromImageTemplate, outputsFromImageTemplate, toImageTemplate } from "./mapping";
import { echoedOf, fromProgram, hiddenBag, type Stored, stateOf, withHidden, withProvider } from "./state";

/*
 * The I/O half of the dynamic provider. It is NOT serialized into state: the serialized provider (provider.ts)
 * `require`s this module by package name inside each method, so state holds a few hundred bytes and always runs the
 * installed version of this code.
 */

type Inputs = ImageTemplateInputs & PropertyBag;

function addressOf(bag: PropertyBag, id?: string): TemplateAddress {
  const parsed = id ? parseTemplateId(id) : undefined;
  if (parsed) return parsed;
  const { subscriptionId, resourceGroupName, imageTemplateName } = stateOf(bag).args;
  if (!subscriptionId || !resourceGroupName || !imageTemplateName) {
    throw new Error(
      `"${id}" is not an image template resource id (/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.VirtualMachineImages/imageTemplates/{name})`,
    );
  }
  return { subscriptionId, resourceGroupName, imageTemplateName };
}

function label(a: TemplateAddress): string {
  return `image template "${a.imageTemplateName}" (resource group "${a.resourceGroupName}", subscription ${a.subscriptionId})`;
}

const named = (a: TemplateAddress) => ({ label: label(a), id: templateId(a) });

async function getOrUndefined(c: Connection, a: TemplateAddress): Promise<ImageTemplate | undefined> {
  try {
    return await c.client.virtualMachineImageTemplates.get(a.resourceGroupName, a.imageTemplateName);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw describeFailure(`Reading ${label(a)}`, e);
  }
}

/** A guard sending nothing to a template whose marker is not the `recorded` one's (nor a replacement's of it). */
function ownershipGuard(a: TemplateAddress, recorded: unknown, what: string): Guard {
  return (template) => {
    const refused = refusal(standingOf(markerOf(template), recorded), named(a), recorded, what);
    if (refused) throw new Error(refused);
  };
}

async function deleteAndWait(c: Connection, a: TemplateAddress): Promise<void> {
  try {
    await untilDone(c, (options) =>
      c.client.virtualMachineImageTemplates.delete(a.resourceGroupName, a.imageTemplateName, options),
    );
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

/** Outputs the provider computes around builds (not part of the service's template). */
export interface BuildOutputs {
  /** The last successful build's results by runOutputName (artifactId for images and gallery versions, artifactUri for VHDs). */
  runOutputs?: RunOutputs;
  /** True when a build the program asked for has not completed: the next `pulumi up` runs (or awaits) it. */
  buildPending?: boolean;
  /** The blob URL of the latest build's customization.log, when it was read. */
  lastBuildLog?: string;
  /** The failing step and message of the latest build, when it failed. */
  lastBuildError?: string;
}

/** Stored outputs: the checked inputs echoed (what diff compares) plus the computed members. */
function outputs(inputs: PropertyBag, template: Partial<ImageTemplate>, build: BuildOutputs = {}): PropertyBag {
  const echoed = echoedOf(inputs);
  const computed = computedFrom(inputs, template);
  if (build.runOutputs !== undefined) computed.runOutputs = build.runOutputs;
  if (build.buildPending) computed.buildPending = true;
  if (build.lastBuildLog !== undefined) computed.lastBuildLog = build.lastBuildLog;
  return { ...echoed, ...computed };
}

/** What the service reports, with the id as the program addresses the template: the service spells "resourcegroups"
 * in lower case (ARM ids are case-insensitive), which would otherwise flip this output against the Pulumi id. */
function computedFrom(inputs: PropertyBag, template: Partial<ImageTemplate>): PropertyBag {
  const computed: PropertyBag = { ...outputsFromImageTemplate(template) };
  if (computed.resourceId !== undefined)
    computed.resourceId = templateId(addressOf(inputs, String(computed.resourceId)));
  return computed;
}

/**
 * URNs this run's program declared: check sees every resource the program declares, in this provider process, before
 * the engine creates, updates or replaces it. A URN read from state (delete, refresh) can be stale: a stack renamed,
 * an alias taken, a resource removed from the program; lines sent there would open a phantom row. So a URN counts
 * only once this run's program declared it; otherwise (destroy, refresh, a removed resource) lines go to stdout.
 */
const declaredUrns = new Set<string>();

function progressFor(bag: PropertyBag, a: TemplateAddress): BuildProgress {
  const { urn, pulumiName, buildHistory } = stateOf(bag).hidden;
  const declared = urn !== undefined && declaredUrns.has(urn) ? urn : undefined;
  return new BuildProgress(pulumiName ?? a.imageTemplateName, declared, historyOf(buildHistory));
}

const BUILD_FAILED: Record<string, string> = {
  Failed: "failed",
  Canceled: "was canceled",
  TimedOut: "did not finish in time",
};

/**
 * Runs the build a create or update owes and returns the outputs to store. A build that does not succeed fails the
 * operation with the dynamic provider protocol's partial-state error: the engine records the template (id and
 * these outputs, with buildPending) instead of forgetting it, and the next `pulumi up` retries the build.
 */
async function buildAndRecord(owed: OwedBuild): Promise<PropertyBag> {
  const progress = progressFor(owed.inputs, owed.a);
  try {
    return await buildWith(progress, owed);
  } finally {
    await progress.flush();
  }
}

/** A build a create or update owes, with what is recorded around it. */
interface OwedBuild {
  c: Connection;
  a: TemplateAddress;
  id: string;
  inputs: PropertyBag;
  /** The computed outputs as known before the build (recorded if it fails before reading the template again). */
  computedBefore: PropertyBag;
  reason: string;
  /** Whether a run recorded on the template is the one owed (see RunRules.counts). */
  counts?: RunRules["counts"];
}

async function buildWith(
  progress: BuildProgress,
  { c, a, id, inputs, computedBefore, reason, counts }: OwedBuild,
): Promise<PropertyBag> {
  progress.line(`image build requested: ${reason}`);
  // The engine stores exactly these properties (it adds no __provider on errors, and destroy needs it).
  const fail = (message: string, computed: PropertyBag): never =>
    partialFailure(message, id, withProvider({ ...computed, ...outputs(inputs, {}, { buildPending: true }) }, inputs));
  const settings = resolveBuild(inputs);
  const log = settings.logs === "off" ? undefined : new BuildLog(c, settings.logs, (l) => progress.logLine(l));
  // With the log streaming, the row names the step it is in (log-progress.ts), read at each status read.
  const onPoll =
    log &&
    (async (t: ImageTemplate) => {
      await log.poll(t);
      const steps = plannedSteps(t);
      if (log.textSoFar) progress.observeLog(logProgress(log.textSoFar, steps.customize, steps.validate));
    });
  let result: BuildResult;
  try {
    const guard = ownershipGuard(a, stateOf(inputs).hidden.ownership, "the build's run");
    result = await runBuild(c, a, settings, progress, onPoll, { guard, counts });
  } catch (e) {
    const expired = expiredStaticToken(e);
    if (!expired) return fail((e as Error).message, computedBefore);
    return fail(
      `Waiting for the image build of ${label(a)} stopped: ${expired.message}. The build goes on in Azure and the template is recorded: run pulumi up again with a fresh token (a new azure-login session) and it waits for this build and records its result; a token request URL, token file, managed identity, certificate or secret renews itself for builds that outlast a token.`,
      computedBefore,
    );
  }
  const start = result.template.lastRunStatus?.startTime;
  if (start instanceof Date) inputs = withHidden(inputs, { builtRunStart: start.toISOString() });
  const failed = BUILD_FAILED[result.outcome];
  if (failed) {
    const status = result.template.lastRunStatus;
    const rights = identityRightsAdvice(status?.message ?? "", stateOf(inputs).args.identityUserAssignedIdentity?.[0]);
    const detail = status?.message ? `: ${status.message}` : "";
    const next =
      result.outcome === "TimedOut" && isBuildActive(result.template)
        ? "It keeps running; the next pulumi up waits for it"
        : "The template is kept; the next pulumi up runs the build again";
    const report = result.outcome === "Failed" && log ? await log.failure(result.template) : undefined;
    if (report?.advice) progress.line(report.advice);
    const details = report ? failureDetails(report, status?.message ?? "") : { text: "", outputs: {} };
    return fail(
      `The image build of ${label(a)} ${failed} (runState ${status?.runState ?? "unknown"}${detail}). ${rights ?? `${next}.`}${details.text}`,
      { ...computedFrom(inputs, result.template), ...details.outputs },
    );
  }
  if (result.outcome === "PartiallySucceeded") {
    progress.line(`build partially succeeded: ${result.template.lastRunStatus?.message ?? ""}`);
  }
  const history = result.phases ? withBuild(historyOf(stateOf(inputs).hidden.buildHistory), result.phases) : undefined;
  const recorded = history ? withHidden(inputs, { buildHistory: history }) : inputs;
  return outputs(recorded, result.template, { runOutputs: result.runOutputs, lastBuildLog: log?.url });
}

/**
 * Takes over an existing template: its immutable arguments must match the program (else the error lists each
 * difference); the in-place ones are reconciled with one PATCH.
 */
async function adopt(c: Connection, a: TemplateAddress, existing: ImageTemplate, inputs: Inputs, marker?: string) {
  if (existing.provisioningState === "Failed") {
    throw new Error(
      `Cannot adopt ${label(a)}: its provisioning failed (${existing.provisioningError?.provisioningErrorCode ?? "no code"}: ${existing.provisioningError?.message ?? "no message"}). Delete it (az image builder delete -g ${a.resourceGroupName} -n ${a.imageTemplateName}) and run pulumi up again.`,
    );
  }
  const current: PropertyBag = { ...argsFromImageTemplate(existing), subscriptionId: inputs.subscriptionId };
  const { replaces, patch: planned, patchKeys } = plan(current, inputs);
  if (replaces.length > 0) {
    const show = (v: unknown) => JSON.stringify(v) ?? "(unset)";
    const lines = replaces.map((k) => `  ${k}: existing ${show(current[k])}, declared ${show(inputs[k])}`);
    throw new Error(
      `Cannot adopt ${label(a)}: these arguments cannot change in place and differ from the existing template:\n${lines.join("\n")}\nMake the program match the existing template, or delete the template (or choose another imageTemplateName) to let Pulumi create it.`,
    );
  }
  // The marker is rewritten (a new nonce), so a resource that held the template before no longer deletes it.
  if (marker) {
    const tags = withMarker(planned?.tags ?? (inputs.tag as Record<string, string> | undefined), marker);
    const keys: ArgKey[] = patchKeys.includes("tag") ? patchKeys : [...patchKeys, "tag"];
    return patch(c, a, { ...planned, tags }, keys, inputs);
  }
  return planned ? patch(c, a, planned, patchKeys, inputs) : existing;
}

/**
 * PATCHes the template; `news` (the arguments being applied) bounds the wait when a running build refuses it. A PATCH
 * replaces all tags, so a `marker` is kept among them.
 */
async function patch(
  c: Connection,
  a: TemplateAddress,
  patchBody: ImageTemplateUpdateParameters,
  keys: ArgKey[],
  news: PropertyBag,
  marker?: unknown,
) {
  const body =
    patchBody.tags && typeof marker === "string"
      ? { ...patchBody, tags: withMarker(patchBody.tags, marker) }
      : patchBody;
  const send = () =>
    untilDone(c, (options) =>
      c.client.virtualMachineImageTemplates.update(a.resourceGroupName, a.imageTemplateName, body, options),
    );
  const progress = progressFor(news, a);
  progress.status(`updating the template (${keys.join(", ")})`);
  try {
    return await afterRunningBuild(c, a, news, progress, `the change of ${keys.join(", ")}`, send);
  } catch (e) {
    throw describeFailure(`Updating ${label(a)} (${keys.join(", ")})`, e);
  } finally {
    await progress.flush();
  }
}

export const configure = configureFromStack;

export async function check(olds: PropertyBag, news: PropertyBag): Promise<pulumi.dynamic.CheckResult> {
  const { urn } = fromProgram(news ?? {});
  if (urn !== undefined) declaredUrns.add(urn);
  return checkInputs(olds ?? {}, news, { env: await checkEnv(news?.subscriptionId === undefined) });
}

/**
 * An owed build (trigger changed, previous build incomplete, onChange) makes an update even with equal arguments, and
 * so does a stored serialized provider other than the program's: the update sends nothing to Azure and records it.
 */
export async function diff(_id: string, olds: PropertyBag, news: PropertyBag): Promise<pulumi.dynamic.DiffResult> {
  const { changes, replaces, deleteBeforeReplace } = plan(olds, news);
  return { changes: changes || providerMoved(olds, news), replaces, deleteBeforeReplace };
}

export async function create(props: PropertyBag): Promise<pulumi.dynamic.CreateResult> {
  const inputs = props as Inputs;
  const a = addressOf(inputs);
  const c = connect(a.subscriptionId);
  const existing = await getOrUndefined(c, a);
  const { owner } = stateOf(inputs).hidden;
  const marker = owner === undefined ? undefined : newMarker(owner);
  const marked = (marker ? withHidden(inputs, { ownership: marker }) : inputs) as Inputs;
  if (existing) {
    // A template marked by this very resource (a killed run made it, or --replace) is taken back without asking.
    if (inputs.adoptExisting !== true && !ownedBy(markerOf(existing), owner)) {
      // Not marked by this resource: someone else's template (another stack, another resource, made by hand).
      throw new Error(
        `${label(a)} already exists and is not marked as this resource's (its ${OWNER_TAG} tag names another resource or stack, or is missing). To manage it with Pulumi, set adoptExisting: true on this resource for one pulumi up, then remove it (its source, customize and other immutable arguments must match; tags, identity, vmProfile and distribute are reconciled), or choose another imageTemplateName.`,
      );
    }
    const settledTemplate = isProvisioning(existing) ? await provisioned(c, a, existing, marked) : existing;
    const adopted = await adopt(c, a, settledTemplate, inputs, marker);
    // Marked by this resource: a run recorded on it is this resource's (a killed up started it, or autoRun, or a
    // trigger): taken as the build owed rather than building twice.
    const takenBack = ownedBy(markerOf(existing), owner);
    return built(c, a, templateId(a), marked, adopted, takenBack ? () => true : undefined);
  }
  const body = toImageTemplate(inputs);
  if (marker) body.tags = withMarker(body.tags, marker);

  let accepted = false;
  const progress = progressFor(inputs, a);
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
    if (created.provisioningState !== "Failed") return built(c, a, templateId(a), marked, created);
  } catch (e) {
    await progress.flush();
    // A rejected request (validation, auth, network) left nothing behind; a failed provisioning left a template;
    // an accepted PUT whose status could not be followed left one the engine must record, or it is orphaned.
    const left = await getOrUndefined(c, a).catch(() => undefined);
    if (left?.provisioningState === "Succeeded") return built(c, a, templateId(a), marked, left);
    if (left?.provisioningState !== "Failed") {
      const failure = describeFailure(`Creating ${label(a)}`, e).message;
      if (!left && !accepted) throw new Error(failure);
      const state = left ? `is in state ${left.provisioningState}` : "was accepted but could not be read back";
      return partialFailure(
        `${failure} The template ${state}; Pulumi records it, and the next pulumi up or refresh reads it again.`,
        templateId(a),
        withProvider(outputs(marked, left ?? { id: templateId(a) }), inputs),
      );
    }
  }
  return failProvisioning(c, a, stateOf(inputs).args.identityUserAssignedIdentity?.[0]);
}

/** How long create waits for a template another run left Creating or Updating. */
const PROVISIONING_WAIT_MINUTES = 30;

/** The template a killed run left provisioning, once it has settled (the service refuses the adoption's PATCH before). */
async function provisioned(c: Connection, a: TemplateAddress, existing: ImageTemplate, inputs: Inputs) {
  const progress = progressFor(inputs, a);
  progress.line(`the template is ${existing.provisioningState} (an earlier run's request): waiting for it to settle`);
  const done = await awaitProvisioning(c, a, progress, AbortSignal.timeout(PROVISIONING_WAIT_MINUTES * 60_000));
  if (!done) {
    throw new Error(
      `${label(a)} was still ${existing.provisioningState} after ${PROVISIONING_WAIT_MINUTES} minutes; run pulumi up again once it has settled.`,
    );
  }
  return done;
}

/**
 * The dynamic provider protocol's partial-state error: the engine records the resource with this id and these
 * properties (it adds no __provider on errors, and destroy needs it) instead of forgetting it, and fails the step.
 */
function partialFailure(message: string, id: string, properties: PropertyBag): never {
  throw Object.assign(new Error(message), { id, properties, reasons: [message] });
}

/** A created (or adopted) template, built first when the build settings ask for it. */
async function built(
  c: Connection,
  a: TemplateAddress,
  id: string,
  inputs: Inputs,
  template: ImageTemplate,
  counts?: RunRules["counts"],
) {
  const reason = buildOnCreate(inputs);
  const outs = reason
    ? await buildAndRecord({ c, a, id, inputs, computedBefore: computedFrom(inputs, template), reason, counts })
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
    props: outputs(inputs, template, await refreshedBuildOutputs(a, state, template)),
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

export async function update(id: string, olds: PropertyBag, news: PropertyBag): Promise<pulumi.dynamic.UpdateResult> {
  const a = addressOf(olds, id);
  const p = plan(olds, news);
  if (p.replaces.length > 0) {
    throw new Error(`Internal error: update called for a change that needs replacement (${p.replaces.join(", ")})`);
  }
  const c = connect(a.subscriptionId);
  // The marker, the last owed build and the build history stay with the resource across updates (a replacement's
  // create starts without them).
  const old = stateOf(olds);
  const { ownership, builtRunStart, buildHistory } = old.hidden;
  news = withHidden(news, { ownership, builtRunStart, buildHistory });
  if (!p.patch && !p.build) {
    // Build settings (or nothing the service holds) changed: record them, keep the computed outputs, unless a create
    // recorded them before the template settled (its partial state makes the engine call update): read it again.
    const computed =
      olds.provisioningState === "Succeeded" ? old.computed : await settled(c, a, id, old.computed, news);
    return { outs: { ...outputs(news, {}), ...computed } };
  }
  // Something will be sent: only to a template that is still this resource's (its marker, compared first).
  const template = await readTemplate(c, a, progressFor(news, a));
  if (!template) {
    throw new Error(
      `Updating ${label(a)} failed: it no longer exists. Run pulumi refresh, then pulumi up creates it again.`,
    );
  }
  const what = p.patch ? `the change of ${p.patchKeys.join(", ")}` : "the build's run";
  const standing = standingOf(markerOf(template), ownership);
  if (standing === "foreign" || standing === "unmarked") {
    if (news.adoptExisting !== true) throw new Error(refusal(standing, named(a), ownership, what));
    return { outs: await adoptInUpdate(c, a, id, template, news as Inputs, p.build) };
  }
  // Recorded with no marker: imported (pulumi import reads a template without state) or recorded before markers
  // existed. Its first write marks it as this resource's, as adoptExisting does.
  if (ownership === undefined && stateOf(news).hidden.owner !== undefined) {
    return { outs: await adoptInUpdate(c, a, id, template, news as Inputs, p.build) };
  }
  // A replacement of this resource (or a killed run's create of it) wrote the marker last: keep it, record it.
  if (standing === "sibling") news = withHidden(news, { ownership: markerOf(template) });
  const counts = p.build ? runAfter(olds, !p.patch || changeApplied(template, news)) : undefined;
  if (!p.patch) {
    return {
      outs: await buildAndRecord({ c, a, id, inputs: news, computedBefore: old.computed, reason: p.build!, counts }),
    };
  }
  const patched = await patch(c, a, p.patch, p.patchKeys, news, stateOf(news).hidden.ownership);
  if (!p.build)
    return { outs: outputs(news, patched, { runOutputs: old.computed.runOutputs as RunOutputs | undefined }) };
  const computedBefore = computedFrom(news, patched);
  return { outs: await buildAndRecord({ c, a, id, inputs: news, computedBefore, reason: p.build, counts }) };
}

/** Whether the template already holds the in-place arguments being applied (an interrupted update sent them). */
function changeApplied(template: ImageTemplate, news: PropertyBag): boolean {
  const live: PropertyBag = { ...argsFromImageTemplate(template), subscriptionId: news.subscriptionId };
  return plan(live, news).patch === undefined;
}

/**
 * For a build an update owes: a run that started after the one the state recorded counts (an interrupted update of
 * this resource started it, or the service did), once the change it builds is on the template.
 */
function runAfter(olds: PropertyBag, applied: boolean): RunRules["counts"] {
  const since = stateOf(olds).hidden.builtRunStart ?? olds.lastRunStatusStartTime;
  const recorded = typeof since === "string" ? Date.parse(since) : -Infinity;
  return (t) => applied && (t.lastRunStatus?.startTime?.getTime() ?? -Infinity) > recorded;
}

/** adoptExisting on a template another owner holds (or that lost its marker): taken over as create adopts, then built. */
async function adoptInUpdate(
  c: Connection,
  a: TemplateAddress,
  id: string,
  template: ImageTemplate,
  news: Inputs,
  reason: string | undefined,
): Promise<PropertyBag> {
  const { owner } = stateOf(news).hidden;
  const marker = owner === undefined ? undefined : newMarker(owner);
  const marked = (marker ? withHidden(news, { ownership: marker }) : news) as Inputs;
  const adopted = await adopt(c, a, template, news, marker);
  if (!reason) return outputs(marked, adopted);
  return buildAndRecord({ c, a, id, inputs: marked, computedBefore: computedFrom(marked, adopted), reason });
}

/** The computed outputs of a template read again; while it has not settled, the partial-state error once more. */
async function settled(
  c: Connection,
  a: TemplateAddress,
  id: string,
  computedBefore: PropertyBag,
  news: PropertyBag,
): Promise<PropertyBag> {
  const template = await getOrUndefined(c, a);
  const computed = { ...computedBefore, ...computedFrom(news, template ?? {}) };
  if (template?.provisioningState === "Succeeded") return computed;
  const state = template ? `is in state ${template.provisioningState}` : "no longer exists (run pulumi refresh)";
  return partialFailure(
    `Reading ${label(a)} again: it ${state}; the next pulumi up reads it again.`,
    id,
    withProvider({ ...outputs(news, {}), ...computed }, news),
  );
}

/** The service refuses to delete a template while it builds: cancel the build, wait through Canceling, then delete. */
export async function $delete(id: string, props: PropertyBag): Promise<void> {
  const stored = props ?? {};
  const a = addressOf(stored, id);
  const progress = progressFor(stored, a);
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
    const timeout = AbortSignal.timeout(resolveBuild(stored).timeoutMinutes * 60_000);
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
