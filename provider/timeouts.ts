import * as pulumi from "@pulumi/pulumi";

let warned = false;

/**
 * Pulumi never passes `customTimeouts` to a dynamic provider (its host drops them), so a user who sets them would
 * wait in vain for them to apply: say so, once per program, and point to what does bound the wait.
 */
export function warnIgnoredCustomTimeouts(resource: pulumi.Resource, opts: pulumi.CustomResourceOptions | undefined) {
  if (warned || opts?.customTimeouts === undefined) return;
  warned = true;
  pulumi.log.warn(
    "customTimeouts have no effect on ImageTemplate and ImageTemplateTrigger: Pulumi does not pass them to dynamic providers. Bound the wait for an image build with build.timeoutMinutes (docs/builds.md), or use the plugin's azure-imagebuilder:index:ImageTemplate, which honours customTimeouts (README, Every language).",
    resource,
  );
}
