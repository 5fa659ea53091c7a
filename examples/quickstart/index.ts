// Quickstart: an Ubuntu 22.04 image customised by two Shell steps and distributed as a managed image.
//
// Copy this folder, run `npm install` (package.json installs this package from its git repository; or
// `npm install <path to the npm pack tarball>`), set the config values below and run `pulumi up`. Against the local
// emulator every value has a working default.
import * as pulumi from "@pulumi/pulumi";
import { ImageTemplate, resourceGroupId } from "pulumi-azure-imagebuilder";

const config = new pulumi.Config();
const resourceGroupName = config.get("resourceGroupName") ?? "rg-images";
const location = config.get("location") ?? "westus2";
const rgId = resourceGroupId(resourceGroupName);
// The template's identity needs rights to read the sources and write the image (see the README).
const builderIdentityId =
  config.get("builderIdentityId") ??
  pulumi.interpolate`${rgId}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aib-builder`;

const template = new ImageTemplate("ubuntu-web", {
  resourceGroupName,
  location,
  identityType: "UserAssigned",
  identityUserAssignedIdentity: [builderIdentityId],
  source: {
    type: "PlatformImage",
    publisher: "Canonical",
    offer: "0001-com-ubuntu-server-jammy",
    sku: "22_04-lts-gen2",
    version: "latest",
  },
  customize: [
    {
      type: "Shell",
      name: "update-packages",
      inline: ["sudo apt-get update", "sudo apt-get -y upgrade"],
    },
    {
      type: "Shell",
      name: "install-nginx",
      inline: ["sudo apt-get install -y nginx", "sudo systemctl enable nginx"],
    },
  ],
  distribute: [
    {
      type: "ManagedImage",
      runOutputName: "ubuntu-web-image",
      imageId: pulumi.interpolate`${rgId}/providers/Microsoft.Compute/images/ubuntu-web`,
      location,
      artifactTags: { source: "pulumi-azure-imagebuilder" },
    },
  ],
  buildTimeoutInMinute: 60,
  vmProfileVmsize: "Standard_D2s_v3",
  tag: { environment: "dev", owner: "platform-team" },
  // Build the image during `pulumi up` once the template exists, wait for it (printing its progress) and expose the
  // result. Change `trigger` (any value) to build again. A failed build shows its customization.log's last lines;
  // `pulumi config set buildLogs stream` prints the log live instead. See docs/builds.md.
  build: {
    when: "onCreate",
    trigger: { release: "2025.1" },
    logs: (config.get("buildLogs") ?? "onFailure") as "onFailure" | "stream" | "off",
  },
});

export const templateName = template.imageTemplateName;
export const templateId = template.id;
export const provisioningState = template.provisioningState;
export const stagingResourceGroup = template.exactStagingResourceGroup;
export const sourceExactVersion = template.sourceExactVersion;
// The managed image the build produced: use it as the source of VMs or scale sets in the same program.
export const imageId = template.artifactOf("ubuntu-web-image");
export const lastBuildState = template.lastRunStatusRunState;
