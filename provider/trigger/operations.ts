import type { Trigger } from "@azure/arm-imagebuilder";
import type * as pulumi from "@pulumi/pulumi";
import { checkEnv, configureFromStack, connect, untilDone } from "../azure/client";
import { scaled } from "../azure/pace";
import { Wait } from "../azure/wait";
import { describeFailure, isNotFound } from "../errors";
import type { PropertyBag } from "../property-bag";
import { checkTrigger, diffTrigger, triggerArgsOf, triggerId, triggerOutputs, type TriggerAddress } from "./trigger";

/** The I/O half of the ImageTemplateTrigger provider (loaded by trigger-provider.ts, never serialized). */

function addressOf(bag: PropertyBag): TriggerAddress {
  return bag as unknown as TriggerAddress;
}
/** How long, at the default pace (scaled like it), a deleted trigger gets to stop reading back. */
const GONE_WITHIN_MS = 60_000;

const label = (a: TriggerAddress) => `trigger "${a.triggerName}" of image template "${a.imageTemplateName}"`;

export const configure = configureFromStack;

export async function check(_olds: PropertyBag, news: PropertyBag): Promise<pulumi.dynamic.CheckResult> {
  return checkTrigger(news, await checkEnv(news?.subscriptionId === undefined));
}

export async function diff(_id: string, olds: PropertyBag, news: PropertyBag): Promise<pulumi.dynamic.DiffResult> {
  return diffTrigger(olds, news);
}

export async function create(inputs: PropertyBag): Promise<pulumi.dynamic.CreateResult> {
  const a = addressOf(inputs);
  const c = connect(a.subscriptionId);
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
  return { id, outs: { ...triggerArgsOf(inputs), ...triggerOutputs(created), resourceId: id } };
}

export async function read(id: string, props: PropertyBag): Promise<pulumi.dynamic.ReadResult> {
  const a = addressOf(props);
  const c = connect(a.subscriptionId);
  try {
    const live = await c.client.triggers.get(a.resourceGroupName, a.imageTemplateName, a.triggerName);
    const inputs = { ...triggerArgsOf(props), kind: live.properties?.kind ?? props.kind };
    return { id, props: { ...inputs, ...triggerOutputs(live), resourceId: triggerId(a) }, inputs };
  } catch (e) {
    if (isNotFound(e)) return {};
    throw describeFailure(`Reading ${label(a)}`, e);
  }
}

export async function $delete(_id: string, props: PropertyBag): Promise<void> {
  const a = addressOf(props);
  const c = connect(a.subscriptionId);
  try {
    await untilDone(c, (options) =>
      c.client.triggers.delete(a.resourceGroupName, a.imageTemplateName, a.triggerName, options),
    );
    // A template holds one trigger: its replacement can only be created once this one no longer reads back.
    const gone = await new Wait(c.pollIntervalMs).until(
      (onResponse) =>
        c.client.triggers.get(a.resourceGroupName, a.imageTemplateName, a.triggerName, { onResponse }).then(
          () => false,
          (e) => (isNotFound(e) ? true : Promise.reject(e)),
        ),
      (isGone) => isGone,
      { abortSignal: AbortSignal.timeout(scaled(GONE_WITHIN_MS, c.pollIntervalMs)) },
    );
    if (!gone) throw new Error(`${label(a)} still exists after its delete completed`);
  } catch (e) {
    if (!isNotFound(e)) throw describeFailure(`Deleting ${label(a)}`, e);
  }
}
