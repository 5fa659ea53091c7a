// A first image on a real subscription: everything Azure VM Image Builder needs, created here with
// @pulumi/azure-native, then the template that builds an Ubuntu 24.04 image into an Azure Compute Gallery.
//
//   resource group ─┬─ identity "aib-builder" (the template's) ── custom role "image creation" on the group
//                   ├─ identity "aib-build-vm" (the build VM's) ── "Managed Identity Operator" for aib-builder
//                   ├─ gallery ── image definition
//                   └─ ImageTemplate (after both role assignments) ── gallery image version 1.0.x
//
// Prerequisites, cost, duration and tear-down: README.md beside this file. Unlike the other examples this one cannot
// run against the local emulator: it creates real Azure resources.
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as compute from "@pulumi/azure-native/compute";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as resources from "@pulumi/azure-native/resources";
import { ImageTemplate } from "pulumi-azure-imagebuilder";

const config = new pulumi.Config();
const location = config.get("location") ?? "westeurope";
const client = authorization.getClientConfigOutput();
const subscriptionScope = pulumi.interpolate`/subscriptions/${client.subscriptionId}`;

const group = new resources.ResourceGroup("images", { location });
const resourceGroupName = group.name;

// The template's identity: Image Builder acts as it to read the source and write the image version.
const builder = new managedidentity.UserAssignedIdentity("aib-builder", { resourceGroupName, location });
// The build VM's identity: customizers running in the VM can sign in as it (here: none need to; it shows the role).
const buildVm = new managedidentity.UserAssignedIdentity("aib-build-vm", { resourceGroupName, location });

// Microsoft's "image creation" custom role for distributing to managed images and galleries
// (learn.microsoft.com/azure/virtual-machines/linux/image-builder-permissions-cli), assignable in this group only.
const imageCreation = new authorization.RoleDefinition("aib-image-creation", {
  roleName: pulumi.interpolate`Azure Image Builder image creation (${resourceGroupName})`,
  description: "Lets Azure VM Image Builder read sources and write managed images and gallery image versions.",
  scope: group.id,
  assignableScopes: [group.id],
  permissions: [
    {
      actions: [
        "Microsoft.Compute/galleries/read",
        "Microsoft.Compute/galleries/images/read",
        "Microsoft.Compute/galleries/images/versions/read",
        "Microsoft.Compute/galleries/images/versions/write",
        "Microsoft.Compute/images/write",
        "Microsoft.Compute/images/read",
        "Microsoft.Compute/images/delete",
      ],
    },
  ],
});

const builderMayCreateImages = new authorization.RoleAssignment("aib-builder-image-creation", {
  principalId: builder.principalId,
  principalType: authorization.PrincipalType.ServicePrincipal,
  roleDefinitionId: imageCreation.id,
  scope: group.id,
});

// A template whose build VM has an identity needs its own identity to hold "Managed Identity Operator" on that one.
const MANAGED_IDENTITY_OPERATOR = "f1a07417-d97a-45cb-824c-7a7467783830";
const builderMayAssignBuildVmIdentity = new authorization.RoleAssignment("aib-builder-operates-build-vm", {
  principalId: builder.principalId,
  principalType: authorization.PrincipalType.ServicePrincipal,
  roleDefinitionId: pulumi.interpolate`${subscriptionScope}/providers/Microsoft.Authorization/roleDefinitions/${MANAGED_IDENTITY_OPERATOR}`,
  scope: buildVm.id,
});

const gallery = new compute.Gallery("images", {
  resourceGroupName,
  location,
  description: "Images built by Azure VM Image Builder",
});

const ubuntu = new compute.GalleryImage("ubuntu-24-04", {
  resourceGroupName,
  location,
  galleryName: gallery.name,
  osType: compute.OperatingSystemTypes.Linux,
  osState: compute.OperatingSystemStateTypes.Generalized,
  hyperVGeneration: compute.HyperVGeneration.V2,
  identifier: { publisher: "example", offer: "ubuntu-web", sku: "24_04" },
});

const template = new ImageTemplate(
  "ubuntu-web",
  {
    resourceGroupName,
    location,
    identityType: "UserAssigned",
    identityUserAssignedIdentity: [builder.id],
    vmProfileUserAssignedIdentities: [buildVm.id],
    vmProfileVmsize: "Standard_D2s_v5",
    buildTimeoutInMinute: 60,
    source: {
      type: "PlatformImage",
      publisher: "Canonical",
      offer: "ubuntu-24_04-lts",
      sku: "server",
      version: "latest",
    },
    customize: [
      {
        type: "Shell",
        name: "install-nginx",
        inline: ["sudo apt-get update", "sudo apt-get install -y nginx", "sudo systemctl enable nginx"],
      },
    ],
    distribute: [
      {
        type: "SharedImage",
        runOutputName: "ubuntu-web",
        galleryImageId: ubuntu.id,
        targetRegions: [{ name: location, replicaCount: 1, storageAccountType: "Standard_LRS" }],
        versioning: { scheme: "Latest", major: 1 },
      },
    ],
    build: { when: "onCreate" },
  },
  // The service checks the identity's rights when it accepts the template and again during the build: both role
  // assignments must exist first (and, on destroy, outlive the template).
  { dependsOn: [builderMayCreateImages, builderMayAssignBuildVmIdentity] },
);

export const resourceGroup = resourceGroupName;
export const galleryName = gallery.name;
export const imageDefinitionName = ubuntu.name;
export const templateName = template.imageTemplateName;
export const provisioningState = template.provisioningState;
// The gallery image version the build published, e.g. .../images/ubuntu-24-04/versions/1.0.0.
export const imageVersionId = template.artifactOf("ubuntu-web");
