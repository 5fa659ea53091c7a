// Gallery: publish image versions to an Azure Compute Gallery image definition, replicated to two regions.
//
// The template's user-assigned identity needs "Contributor" on the gallery's resource group and "Managed Identity
// Operator" on the build VM identity. Against real Azure, declare both identities here with @pulumi/azure-native:
//
//   const builder = new azure_native.managedidentity.UserAssignedIdentity("aib-builder", { resourceGroupName, location });
//   const buildVm = new azure_native.managedidentity.UserAssignedIdentity("aib-build-vm", { resourceGroupName, location });
//
// and pass `builder.id` / `buildVm.id` below (Pulumi orders the template after them, and deletes it before them, which
// the service needs: a template whose identity is gone cannot be deleted). The local emulator has no identity service,
// so offline the ids come from config with defaults.
import * as pulumi from "@pulumi/pulumi";
import { ImageTemplate, resourceGroupId } from "pulumi-azure-imagebuilder";

const config = new pulumi.Config();
const resourceGroupName = config.get("resourceGroupName") ?? "rg-gallery";
const location = config.get("location") ?? "westeurope";
const replicaRegion = config.get("replicaRegion") ?? "northeurope";
const rgId = resourceGroupId(resourceGroupName);
const identities = pulumi.interpolate`${rgId}/providers/Microsoft.ManagedIdentity/userAssignedIdentities`;
const builderIdentityId = config.get("builderIdentityId") ?? pulumi.interpolate`${identities}/aib-builder`;
const buildVmIdentityId = config.get("buildVmIdentityId") ?? pulumi.interpolate`${identities}/aib-build-vm`;
const galleryImageId =
  config.get("galleryImageId") ??
  pulumi.interpolate`${rgId}/providers/Microsoft.Compute/galleries/corp_gallery/images/ubuntu-hardened`;

const template = new ImageTemplate("ubuntu-hardened", {
  resourceGroupName,
  location,
  identityType: "UserAssigned",
  identityUserAssignedIdentity: [builderIdentityId],
  vmProfileUserAssignedIdentities: [buildVmIdentityId],
  vmProfileVmsize: "Standard_D4s_v5",
  vmProfileOsdiskSizeGb: 64,
  source: {
    type: "PlatformImage",
    publisher: "Canonical",
    offer: "ubuntu-24_04-lts",
    sku: "server",
    // Pin the marketplace version (`pulumi config set ubuntuVersion 24.04.202411030`) to harden the same base again.
    version: config.get("ubuntuVersion") ?? "latest",
  },
  customize: [
    {
      type: "Shell",
      name: "cis-hardening",
      scriptUri: "https://raw.githubusercontent.com/example/hardening/v1.4.0/harden.sh",
      sha256Checksum: "2b8f0d8c1e9a4f7b5c3d6e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b",
    },
  ],
  distribute: [
    {
      type: "SharedImage",
      runOutputName: "ubuntu-hardened",
      galleryImageId,
      targetRegions: [
        { name: location, replicaCount: 2, storageAccountType: "Standard_ZRS" },
        { name: replicaRegion, replicaCount: 1, storageAccountType: "Standard_LRS" },
      ],
      // Each build publishes the next version under major 1: 1.0.0, 1.0.1, ...
      versioning: { scheme: "Latest", major: 1 },
      // Shallow replication publishes faster; fine for test images, use Full for production.
      replicationMode: "Shallow",
      excludeFromLatest: false,
      artifactTags: { pipeline: "pulumi", baseline: "cis-level-1" },
    },
  ],
  errorHandling: { onCustomizerError: "cleanup", onValidationError: "cleanup" },
  tag: { environment: "prod", owner: "platform-team" },
  // Publish a new gallery image version on create, and again whenever `trigger` changes (docs/builds.md).
  build: { when: "onCreate", trigger: { baseline: "cis-level-1", revision: 1 } },
});

export const templateName = template.imageTemplateName;
export const templateId = template.id;
export const provisioningState = template.provisioningState;
// The gallery image version this build published (e.g. .../images/ubuntu-hardened/versions/1.0.1): feed it to a VM
// scale set's imageReference.id to roll out the new image.
export const imageVersionId = template.artifactOf("ubuntu-hardened");
