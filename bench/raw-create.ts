/**
 * The yardstick for `pulumi up`: a plain script that creates the same templates with `@azure/arm-imagebuilder`, all
 * at once, and waits for every LRO, as someone scripting it by hand would. Run as its own process (its wall time
 * includes Node start-up and module loading, like the CLI's): `node raw-create.js <templates.json>`, with the
 * emulator's env (credentials, endpoint, CA, poll interval) in the environment.
 */
import { readFileSync } from "node:fs";
import { ImageBuilderClient, type ImageTemplate } from "@azure/arm-imagebuilder";
import { ClientSecretCredential } from "@azure/identity";

export interface RawTemplate {
  resourceGroupName: string;
  name: string;
  body: ImageTemplate;
}

async function main(file: string): Promise<void> {
  const env = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set`);
    return value;
  };
  const templates = JSON.parse(readFileSync(file, "utf8")) as RawTemplate[];
  const credential = new ClientSecretCredential(
    env("AZURE_TENANT_ID"),
    env("AZURE_CLIENT_ID"),
    env("AZURE_CLIENT_SECRET"),
    { authorityHost: env("AZURE_AUTHORITY_HOST"), disableInstanceDiscovery: true },
  );
  const client = new ImageBuilderClient(credential, env("AZURE_SUBSCRIPTION_ID"), {
    endpoint: env("AZURE_RESOURCE_MANAGER_ENDPOINT"),
  });
  // The same poll interval the provider uses when the service sends no usable Retry-After.
  const poll = { updateIntervalInMs: Number(env("AZURE_IMAGEBUILDER_POLL_INTERVAL_MS")) };
  await Promise.all(
    templates.map((t) => client.virtualMachineImageTemplates.createOrUpdate(t.resourceGroupName, t.name, t.body, poll)),
  );
}

if (require.main === module) {
  main(process.argv[2]).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
