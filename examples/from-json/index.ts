// An image template you already have as ARM or Bicep JSON (`bicep build`, Microsoft's quickstarts, or
// `az image builder show` output), deployed as an ImageTemplate.
//
// argsFromArmTemplate turns the resource's location, tags, identity and properties into ImageTemplate arguments.
// What depends on where it is deployed (the resource group, the builder identity, which an ARM file would compute
// with [resourceId(...)] expressions) is left out of the JSON and set here: the converter refuses unevaluated
// expressions, naming the argument to set instead. Read-only members of a pasted `az image builder show` answer
// (provisioningState, lastRunStatus, source.exactVersion, ...) are ignored with a warning.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { argsFromArmTemplate, ImageTemplate, resourceGroupId } from "pulumi-azure-imagebuilder";

const config = new pulumi.Config();
const resourceGroupName = config.get("resourceGroupName") ?? "rg-images";
const builderIdentityId =
  config.get("builderIdentityId") ??
  pulumi.interpolate`${resourceGroupId(resourceGroupName)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aib-builder`;

const json = JSON.parse(readFileSync(path.join(__dirname, "image-template.json"), "utf8"));

const template = new ImageTemplate("ubuntu-nginx", {
  ...argsFromArmTemplate(json),
  resourceGroupName,
  identityType: "UserAssigned",
  identityUserAssignedIdentity: [builderIdentityId],
});

export const templateName = template.imageTemplateName;
export const templateId = template.id;
export const provisioningState = template.provisioningState;
export const sourceExactVersion = template.sourceExactVersion;
