// Windows: Windows Server 2022 with the latest updates and IIS, exported as a VHD to the staging storage account.
import * as pulumi from "@pulumi/pulumi";
import { ImageTemplate, resourceGroupId } from "pulumi-azure-imagebuilder";

const config = new pulumi.Config();
const resourceGroupName = config.get("resourceGroupName") ?? "rg-windows-images";
const location = config.get("location") ?? "eastus";
const builderIdentityId =
  config.get("builderIdentityId") ??
  pulumi.interpolate`${resourceGroupId(resourceGroupName)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aib-builder`;

const template = new ImageTemplate("win2022-iis", {
  resourceGroupName,
  location,
  // Windows Update and IIS make for long builds: a larger VM and three hours before the service gives up.
  vmProfileVmsize: "Standard_D4s_v5",
  buildTimeoutInMinute: 180,
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
  vmProfileOsdiskSizeGb: 128,
  tag: { environment: "dev", os: "windows" },
});

export const templateName = template.imageTemplateName;
export const templateId = template.id;
export const provisioningState = template.provisioningState;
