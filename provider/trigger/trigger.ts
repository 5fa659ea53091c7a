import type { Trigger } from "@azure/arm-imagebuilder";
import { subscriptionFromEnv } from "../azure/client";
import { type Failure, failuresOf, isUnknown } from "../codecs/combinators";
import { TRIGGER_ARG_KEYS, TriggerArgsCodec, type TriggerArgKey } from "./codecs";
import { compact, type PropertyBag } from "../property-bag";
import { shapeFailures } from "../codecs/shape";
import { subscriptionGuid } from "../codecs/ids";

/** Pure logic of the ImageTemplateTrigger resource: check, diff, outputs. */

export interface TriggerAddress {
  subscriptionId: string;
  resourceGroupName: string;
  imageTemplateName: string;
  triggerName: string;
}

export function triggerArgsOf(bag: PropertyBag): PropertyBag {
  return Object.fromEntries(
    TRIGGER_ARG_KEYS.filter((k) => bag[k] !== undefined && bag[k] !== null).map((k) => [k, bag[k]]),
  );
}

/** Validates the arguments and resolves the subscription (like the template's). */
export function checkTrigger(
  news: PropertyBag,
  env: Record<string, string | undefined>,
): { inputs: PropertyBag; failures: Failure[] } {
  const shape = shapeFailures(news);
  const examined = Object.fromEntries(Object.entries(news).filter(([k]) => !shape.unexamined.has(k)));
  const inputs = triggerArgsOf(examined);
  const failures: Failure[] = [...shape.failures];
  for (const key of Object.keys(examined)) {
    if (!key.startsWith("__") && !(TRIGGER_ARG_KEYS as string[]).includes(key) && news[key] !== undefined) {
      failures.push({ property: key, reason: `unknown property; allowed: ${TRIGGER_ARG_KEYS.join(", ")}` });
    }
  }
  if (typeof inputs.subscriptionId === "string") inputs.subscriptionId = subscriptionGuid(inputs.subscriptionId);
  if (inputs.subscriptionId === undefined && !shape.unexamined.has("subscriptionId")) {
    const fromEnv = subscriptionFromEnv(env);
    if (fromEnv) inputs.subscriptionId = fromEnv;
    else failures.push({ property: "subscriptionId", reason: "is required: set it or AZURE_SUBSCRIPTION_ID" });
  }
  const decoded = TriggerArgsCodec.validate(inputs, []);
  // A member refused for its shape is not reported again as missing.
  if (decoded._tag === "Left")
    failures.push(...failuresOf(decoded.left).filter((f) => !shape.unexamined.has(f.property)));
  return { inputs, failures };
}

const same = (a: unknown, b: unknown, key: TriggerArgKey) =>
  key === "kind" ? a === b : String(a ?? "").toLowerCase() === String(b ?? "").toLowerCase();

/**
 * Every argument is create-only (the service has no PATCH for triggers; `kind` is x-ms-mutability create,read; the
 * rest is the trigger's address), so any change replaces. A template holds one trigger only, so the old one always
 * goes first.
 */
export function diffTrigger(olds: PropertyBag, news: PropertyBag) {
  const replaces = TRIGGER_ARG_KEYS.filter((k) => isUnknown(news[k]) || !same(olds[k], news[k], k));
  return { changes: replaces.length > 0, replaces, deleteBeforeReplace: replaces.length > 0 };
}

/** Read-only state of a trigger as outputs. */
export function triggerOutputs(trigger: Trigger) {
  return compact({
    resourceId: trigger.id,
    provisioningState: trigger.properties?.provisioningState,
    statusCode: trigger.properties?.status?.code,
    statusMessage: trigger.properties?.status?.message,
    statusTime: trigger.properties?.status?.time?.toISOString(),
  });
}
export type TriggerOutputs = ReturnType<typeof triggerOutputs>;

export function triggerId(a: TriggerAddress): string {
  return `/subscriptions/${a.subscriptionId}/resourceGroups/${a.resourceGroupName}/providers/Microsoft.VirtualMachineImages/imageTemplates/${a.imageTemplateName}/triggers/${a.triggerName}`;
}
