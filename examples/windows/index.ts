// Windows: Windows Server 2022 with the latest updates and IIS, exported as a VHD to the staging storage account.
import * as pulumi from "@pulumi/pulumi";
import { ImageTemplate } from "pulumi-azure-imagebuilder";

const config = new pulumi.Config();
const subscriptionId =
  config.get("subscriptionId") ?? process.env.AZURE_SUBSCRIPTION_ID ?? process.env.ARM_SUBSCRIPTION_ID;
if (!subscriptionId) {
  throw new Error("Set the subscription: `pulumi config set subscriptionId <id>` or AZURE_SUBSCRIPTION_ID.");
}
const resourceGroupName = config.get("resourceGroupName") ?? "rg-windows-images";
const location = config.get("location") ?? "eastus";
const builderIdentityId =
  config.get("builderIdentityId") ??
  `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroupName}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aib-builder`;

const template = new ImageTemplate("win2022-iis", {
  resourceGroupName,
  location,
  identityType: "UserAssigned",
  identityUserAssignedIdentity: [builderIdentityId],
  source: {
    type: "PlatformImage",
    publisher: "MicrosoftWindowsServer",
    offer: "WindowsServer",
    sku: "2022-datacenter-azure-edition",
    version: "latest",
  },
  customize: [
    {
      type: "PowerShell",
      name: "install-iis",
      inline: ["Install-WindowsFeature -Name Web-Server -IncludeManagementTools"],
      runElevated: true,
      runAsSystem: true,
    },
    {
      type: "WindowsUpdate",
      searchCriteria: "IsInstalled=0",
      filters: ["exclude:$_.Title -like '*Preview*'", "include:$true"],
      updateLimit: 40,
    },
    {
      type: "WindowsRestart",
      restartCheckCommand: "Write-Output 'restarted'",
      restartTimeout: "10m",
    },
  ],
  distribute: [{ type: "VHD", runOutputName: "win2022-iis-vhd" }],
  buildTimeoutInMinute: 180,
  vmProfileVmsize: "Standard_D4s_v5",
  vmProfileOsdiskSizeGb: 128,
  tag: { environment: "dev", os: "windows" },
});

export const templateName = template.imageTemplateName;
export const templateId = template.id;
export const provisioningState = template.provisioningState;
