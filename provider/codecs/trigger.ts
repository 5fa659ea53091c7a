import * as t from "io-ts";
import { subscriptionIdPattern } from "./args";
import { matching, object, oneOf } from "./combinators";
import { resourceGroupName, templateName } from "./ids";

/** A trigger of an image template (Microsoft.VirtualMachineImages/imageTemplates/triggers, API 2025-10-01). */
export const TriggerArgsCodec = object(
  "ImageTemplateTriggerArgs",
  {
    resourceGroupName,
    /** The template the trigger builds; it must be provisioned with a floating ("latest") source. */
    imageTemplateName: templateName,
    triggerName: templateName,
    /** The only kind the service offers: build when a new version of the source image is published. */
    kind: oneOf("SourceImage"),
  },
  { subscriptionId: matching(subscriptionIdPattern, "be a subscription id (a GUID)") },
);
export type TriggerInputs = t.TypeOf<typeof TriggerArgsCodec>;
export type TriggerArgKey = keyof typeof TriggerArgsCodec.required | keyof typeof TriggerArgsCodec.optional;
export const TRIGGER_ARG_KEYS = [
  ...Object.keys(TriggerArgsCodec.required),
  ...Object.keys(TriggerArgsCodec.optional),
] as TriggerArgKey[];
