import * as t from "io-ts";
import { object, oneOf } from "../codecs/combinators";
import { resourceGroupName, subscriptionId, templateName } from "../codecs/ids";

/** A trigger of an image template (Microsoft.VirtualMachineImages/imageTemplates/triggers, API 2025-10-01). */
export const TriggerArgsCodec = object(
  "ImageTemplateTriggerArgs",
  {
    /** Resource group of the template. Change: replace. */
    resourceGroupName,
    /** The template the trigger builds; it must be provisioned with a floating ("latest") source. Change: replace. */
    imageTemplateName: templateName,
    /** The trigger's name (`^[A-Za-z0-9-_.]{1,64}$`); a template holds one trigger. Change: replace. */
    triggerName: templateName,
    /** `SourceImage`, the only kind: build when a new version of the source image is published. Change: replace. */
    kind: oneOf("SourceImage"),
  },
  {
    /**
     * Subscription (a GUID). Default: `azure-native:subscriptionId`, `AZURE_SUBSCRIPTION_ID`, `ARM_SUBSCRIPTION_ID`,
     * else the Azure CLI's default subscription. Change: replace.
     */
    subscriptionId,
  },
);
export type TriggerInputs = t.TypeOf<typeof TriggerArgsCodec>;
export const TRIGGER_ARG_KEYS = TriggerArgsCodec.keys;
export type TriggerArgKey = (typeof TRIGGER_ARG_KEYS)[number];
