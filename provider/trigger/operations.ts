import type { Trigger } from "@azure/arm-imagebuilder";
import type * as pulumi from "@pulumi/pulumi";
import { checkEnv, configureFromStack, connect, type Connection } from "../azure/client";
import { Poller, scaled, untilDone } from "../azure/wait";
import { describeFailure, isNotFound } from "../errors";
import { markerOf, OWNER_TAG, restoreCommand, standingOf } from "../image-template/ownership";
import { templateId } from "../image-template/address";
import { type PropertyBag, PROVIDER_KEY, providerMoved } from "../property-bag";
import { type DetailedDiffResult, detailOf } from "../property-changes";
import { checkTrigger, diffTrigger, triggerArgsOf, triggerId, triggerOutputs, type TriggerAddress } from "./trigger";

/** The I/O half of the ImageTemplateTrigger provider (loaded by the serialized provider, provider.ts; never serialized itself). */

function addressOf(bag: PropertyBag): TriggerAddress {
  return bag as unknown as TriggerAddress;
}
/** How long, at the default pace (scaled like it), a deleted trigger gets to stop reading back. */
const GONE_WITHIN_MS = 60_000;

const label = (a: TriggerAddress) => `trigger "${a.triggerName}" of image template "${a.imageTemplateName}"`;

/** In state: the template's ownership marker when this trigger was created, what its delete compares. */
const TEMPLATE_OWNERSHIP_KEY = "__templateOwnership";

/** The template's ownership marker, or null when the template is gone. */
async function templateMarker(c: Connection, a: TriggerAddress): Promise<string | undefined | null> {
  try {
    return markerOf(await c.client.virtualMachineImageTemplates.get(a.resourceGroupName, a.imageTemplateName));
  } catch (e) {
    if (isNotFound(e)) return null;
    throw describeFailure(`Reading image template "${a.imageTemplateName}" of ${label(a)}`, e);
  }
}

export const configure = configureFromStack;

export async function check(_olds: PropertyBag, news: PropertyBag): Promise<pulumi.dynamic.CheckResult> {
  return checkTrigger(news, await checkEnv(news?.subscriptionId === undefined));
}

/** Every argument is create-only; a stored serialized provider other than the program's is recorded by `update`. */
export async function diff(_id: string, olds: PropertyBag, news: PropertyBag): Promise<DetailedDiffResult> {
  const d = diffTrigger(olds, news);
  return { ...d, changes: d.changes || providerMoved(olds, news), detailedDiff: detailOf(olds, news, [], d.replaces) };
}

/**
 * Called only when nothing but the serialized provider changed (diff replaces the trigger on any argument): the
 * trigger is unchanged, and the engine's provider host records the program's provider with these outputs.
 */
export async function update(_id: string, olds: PropertyBag): Promise<pulumi.dynamic.UpdateResult> {
  return { outs: Object.fromEntries(Object.entries(olds).filter(([k]) => k !== PROVIDER_KEY)) };
}

export async function create(inputs: PropertyBag): Promise<pulumi.dynamic.CreateResult> {
  const a = addressOf(inputs);
  const c = connect(a.subscriptionId);
  const marker = await templateMarker(c, a);
  let created: Trigger;
  try {
    created = await untilDone(c, (options) =>
      c.client.triggers.createOrUpdate(
        a.resourceGroupName,
        a.imageTemplateName,
        a.triggerName,
        { properties: { kind: inputs.kind as string } },
        options,
      ),
    );
  } catch (e) {
    throw describeFailure(`Creating ${label(a)}`, e);
  }
  // Named as the program addresses it: the service spells "resourcegroups" in lower case (ids are case-insensitive).
  const id = triggerId(a);
  const ownership = typeof marker === "string" ? { [TEMPLATE_OWNERSHIP_KEY]: marker } : {};
  return { id, outs: { ...triggerArgsOf(inputs), ...triggerOutputs(created), resourceId: id, ...ownership } };
}

export async function read(id: string, props: PropertyBag): Promise<pulumi.dynamic.ReadResult> {
  const a = addressOf(props);
  const c = connect(a.subscriptionId);
  try {
    const live = await c.client.triggers.get(a.resourceGroupName, a.imageTemplateName, a.triggerName);
    const inputs = { ...triggerArgsOf(props), kind: live.properties?.kind ?? props.kind };
    const ownership =
      props[TEMPLATE_OWNERSHIP_KEY] === undefined ? {} : { [TEMPLATE_OWNERSHIP_KEY]: props[TEMPLATE_OWNERSHIP_KEY] };
    return { id, props: { ...inputs, ...triggerOutputs(live), resourceId: triggerId(a), ...ownership }, inputs };
  } catch (e) {
    if (isNotFound(e)) return {};
    throw describeFailure(`Reading ${label(a)}`, e);
  }
}

/**
 * Deletes the trigger of a template still held by the template resource it was created on (same marker, or a
 * replacement of it). A template another owner created or adopted since keeps its trigger; one whose marker was
 * removed stops the delete (state from before this record carries none and is not compared).
 */
export async function $delete(_id: string, props: PropertyBag): Promise<void> {
  const a = addressOf(props);
  const c = connect(a.subscriptionId);
  if (props[TEMPLATE_OWNERSHIP_KEY] !== undefined) {
    const marker = await templateMarker(c, a);
    if (marker === null) return; // the template and its trigger are gone
    const standing = standingOf(marker, props[TEMPLATE_OWNERSHIP_KEY]);
    if (standing === "foreign") {
      console.log(
        `[${a.triggerName}] left in place: another stack or program owns image template "${a.imageTemplateName}" now (its ${OWNER_TAG} tag is not the one this trigger was created on); nothing was deleted`,
      );
      return;
    }
    if (standing === "unmarked") {
      throw new Error(
        `Deleting ${label(a)}: the template no longer carries the ${OWNER_TAG} tag it had when this trigger was created (a tag edit removed it, or the template was created again outside Pulumi), so the trigger may not be this stack's; nothing was deleted. If it is, put the tag back (${restoreCommand(templateId(a), props[TEMPLATE_OWNERSHIP_KEY])}) and destroy again; to leave it, run pulumi state delete on this trigger's URN.`,
      );
    }
  }
  try {
    await untilDone(c, (options) =>
      c.client.triggers.delete(a.resourceGroupName, a.imageTemplateName, a.triggerName, options),
    );
    // A template holds one trigger: its replacement can only be created once this one no longer reads back.
    const gone = await new Poller(c.pollIntervalMs, {
      read: (onResponse) =>
        c.client.triggers.get(a.resourceGroupName, a.imageTemplateName, a.triggerName, { onResponse }).then(
          () => false,
          (e) => (isNotFound(e) ? true : Promise.reject(e)),
        ),
    }).until((isGone) => isGone, AbortSignal.timeout(scaled(GONE_WITHIN_MS, c.pollIntervalMs)));
    if (!gone) throw new Error(`${label(a)} still exists after its delete completed`);
  } catch (e) {
    if (!isNotFound(e)) throw describeFailure(`Deleting ${label(a)}`, e);
  }
}
