import * as pulumi from "@pulumi/pulumi";
import type { TriggerInputs } from "./codecs";
import type { TriggerOutputs } from "./trigger";
import imageTemplateTriggerProvider = require("./provider");
import { warnIgnoredCustomTimeouts } from "../timeouts";

export type ImageTemplateTriggerArgs = { [K in keyof TriggerInputs]: pulumi.Input<TriggerInputs[K]> };

const OUTPUT_KEYS = [
  "subscriptionId",
  "resourceGroupName",
  "imageTemplateName",
  "triggerName",
  "kind",
  "resourceId",
  "provisioningState",
  "statusCode",
  "statusMessage",
  "statusTime",
] as const satisfies readonly (keyof TriggerInputs | keyof TriggerOutputs)[];

/**
 * A SourceImage trigger of an image template: the service builds the template whenever a new version of its source
 * image is published (source must be a PlatformImage or gallery image at "latest"). Pass the template's outputs
 * (`template.imageTemplateName`) so Pulumi creates it after the template, which must be provisioned first. Every
 * argument is create-only: a change replaces the trigger (deleting the old one first; a template has one trigger).
 */
export class ImageTemplateTrigger extends pulumi.dynamic.Resource {
  /** The {@link ImageTemplateTriggerArgs.subscriptionId | subscriptionId}: the given one or the default check resolved. */
  declare readonly subscriptionId: pulumi.Output<string>;
  /** The {@link ImageTemplateTriggerArgs.resourceGroupName | resourceGroupName} argument. */
  declare readonly resourceGroupName: pulumi.Output<string>;
  /** The {@link ImageTemplateTriggerArgs.imageTemplateName | imageTemplateName} argument. */
  declare readonly imageTemplateName: pulumi.Output<string>;
  /** The {@link ImageTemplateTriggerArgs.triggerName | triggerName} argument. */
  declare readonly triggerName: pulumi.Output<string>;
  /** The {@link ImageTemplateTriggerArgs.kind | kind} argument. */
  declare readonly kind: pulumi.Output<TriggerInputs["kind"]>;
  /** The trigger's ARM resource id (also the Pulumi id). */
  declare readonly resourceId: pulumi.Output<string>;
  /** `Creating`, `Succeeded`, `Failed`, `Deleting` or `Canceled`. */
  declare readonly provisioningState: pulumi.Output<string | undefined>;
  /** The trigger's status: e.g. Healthy, or Disabled after repeated failed builds (the service's status code). */
  declare readonly statusCode: pulumi.Output<string | undefined>;
  /** The service's message about the trigger's status. */
  declare readonly statusMessage: pulumi.Output<string | undefined>;
  /** When the status was last updated (ISO 8601). */
  declare readonly statusTime: pulumi.Output<string | undefined>;

  /** Reads an existing trigger into the program by its resource id, without managing it (like ImageTemplate.get). */
  static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): ImageTemplateTrigger {
    return new ImageTemplateTrigger(name, undefined as unknown as ImageTemplateTriggerArgs, { ...opts, id });
  }

  constructor(name: string, args: ImageTemplateTriggerArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, unknown> = Object.fromEntries(OUTPUT_KEYS.map((k) => [k, undefined]));
    if (!opts?.id) Object.assign(props, args);
    super(imageTemplateTriggerProvider, name, props, opts, "azure-imagebuilder", "ImageTemplateTrigger");
    warnIgnoredCustomTimeouts(this, opts);
  }
}
