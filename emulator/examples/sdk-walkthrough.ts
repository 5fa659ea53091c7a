/**
 * The Azure SDK against the emulator, configured only from the ready line's `env`:
 *
 *   imagebuilder-emulator --port 0 > ready.json &
 *   env $(node -e 'const r=require("./ready.json");for(const[k,v]of Object.entries(r.env))console.log(k+"="+v)') \
 *     node dist/emulator/examples/sdk-walkthrough.js
 *
 * Creates a template, reads it, patches its tags, runs a build, lists the run outputs and deletes the template.
 */
import { ClientSecretCredential } from "@azure/identity";
import { ImageBuilderClient } from "@azure/arm-imagebuilder";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; apply the emulator's ready-line env`);
  return value;
}

async function main(): Promise<void> {
  const endpoint = env("AZURE_RESOURCE_MANAGER_ENDPOINT");
  const credential = new ClientSecretCredential(
    env("AZURE_TENANT_ID"),
    env("AZURE_CLIENT_ID"),
    env("AZURE_CLIENT_SECRET"),
    {
      authorityHost: env("AZURE_AUTHORITY_HOST"),
      disableInstanceDiscovery: true,
    },
  );
  const client = new ImageBuilderClient(credential, env("AZURE_SUBSCRIPTION_ID"), { endpoint });
  const poll = { updateIntervalInMs: Number(process.env.AZURE_IMAGEBUILDER_POLL_INTERVAL_MS ?? 2000) };
  const rg = "walkthrough-rg";
  const name = `walkthrough-${Date.now()}`;
  const identityId = `/subscriptions/${env("AZURE_SUBSCRIPTION_ID")}/resourceGroups/${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/builder`;

  const created = await client.virtualMachineImageTemplates.createOrUpdate(
    rg,
    name,
    {
      location: "westeurope",
      identity: { type: "UserAssigned", userAssignedIdentities: { [identityId]: {} } },
      // A Windows build (the tests and benchmarks use an Ubuntu one): the newest Server 2025 image, one PowerShell step.
      source: {
        type: "PlatformImage",
        publisher: "MicrosoftWindowsServer",
        offer: "WindowsServer",
        sku: "2025-datacenter-azure-edition",
        version: "latest",
      },
      customize: [{ type: "PowerShell", name: "features", inline: ["Install-WindowsFeature Web-Server"] }],
      vmProfile: { vmSize: "Standard_D2s_v3" },
      distribute: [
        {
          type: "ManagedImage",
          runOutputName: "managed",
          imageId: `/subscriptions/${env("AZURE_SUBSCRIPTION_ID")}/resourceGroups/${rg}/providers/Microsoft.Compute/images/walkthrough`,
          location: "westeurope",
          artifactTags: { source: "sdk-walkthrough" },
        },
      ],
    },
    poll,
  );
  console.log(`created ${created.id} (${created.provisioningState})`);

  const fetched = await client.virtualMachineImageTemplates.get(rg, name);
  console.log(`source resolves to version ${(fetched.source as { exactVersion?: string }).exactVersion}`);

  const patched = await client.virtualMachineImageTemplates.update(rg, name, { tags: { stage: "demo" } }, poll);
  console.log(`tags now ${JSON.stringify(patched.tags)}`);

  await client.virtualMachineImageTemplates.run(rg, name, poll);
  const afterRun = await client.virtualMachineImageTemplates.get(rg, name);
  console.log(`build ${afterRun.lastRunStatus?.runState}`);

  for await (const output of client.virtualMachineImageTemplates.listRunOutputs(rg, name)) {
    console.log(`run output ${output.name}: ${output.artifactId ?? output.artifactUri}`);
  }

  await client.virtualMachineImageTemplates.delete(rg, name, poll);
  console.log("deleted");
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
