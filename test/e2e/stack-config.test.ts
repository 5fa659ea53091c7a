/**
 * One stack config for azure-native and this provider: with no credential variable anywhere (neither ARM_* nor
 * AZURE_*), the provider signs in with the `azure-native:*` keys of the stack config, which the real engine hands to
 * the dynamic provider, takes the subscription and the location from there too, and the state file on disk holds
 * neither the client secret nor a token. The subscription is given as Pulumi ESC writes it (/subscriptions/<guid>)
 * and auxiliaryTenantIds is set, as a cross-tenant gallery needs.
 */
import * as assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { engineStack } from "./helpers/engine-stack";
import { ImageTemplate, type ImageTemplateArgs } from "pulumi-azure-imagebuilder";
import { templateArgs as linuxTemplateArgs } from "../fixtures/template-args";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator";
import {
  engineEnv,
  ENSURE_TIMEOUT_MS,
  inlineOptions,
  newStateDir,
  pulumiBinDir,
  removeStateDir,
} from "./helpers/engine";
import { templates } from "./helpers/stacks";

const PROJECT = "e2e-stack-config";
const STACK = "dev";
const CREDENTIAL_VARIABLE = /^(AZURE|ARM|ACTIONS_ID_TOKEN|IDENTITY|MSI)_/;

describe("signing in with azure-native:* stack config only, through the engine", function () {
  this.timeout(5 * 60_000);
  let emulator: TestEmulator;
  let stateDir: string;
  const hidden: Record<string, string> = {};

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    await pulumiBinDir();
    emulator = await startTestEmulator();
    stateDir = await newStateDir();
    // The engine inherits this process's environment: keep every credential variable out of it.
    for (const [k, v] of Object.entries(process.env)) {
      if (CREDENTIAL_VARIABLE.test(k) && v !== undefined) {
        hidden[k] = v;
        delete process.env[k];
      }
    }
  });

  after(async () => {
    Object.assign(process.env, hidden);
    await emulator?.stop();
    if (stateDir) await removeStateDir(stateDir);
  });

  it("creates, reads back and destroys a template; the secret stays out of the state", async () => {
    // Where the emulator is (Azure itself needs none of these); no credential among them.
    const { NODE_EXTRA_CA_CERTS, AZURE_AUTHORITY_HOST, AZURE_RESOURCE_MANAGER_ENDPOINT } = emulator.env;
    const envVars = await engineEnv(stateDir, {
      NODE_EXTRA_CA_CERTS,
      AZURE_AUTHORITY_HOST,
      AZURE_RESOURCE_MANAGER_ENDPOINT,
      AZURE_IMAGEBUILDER_POLL_INTERVAL_MS: emulator.env.AZURE_IMAGEBUILDER_POLL_INTERVAL_MS,
    });
    assert.deepEqual(
      Object.keys(envVars).filter((k) => CREDENTIAL_VARIABLE.test(k) && !/AUTHORITY_HOST|ENDPOINT|INTERVAL/.test(k)),
      [],
    );
    const stack = engineStack(
      await LocalWorkspace.createOrSelectStack(
        {
          projectName: PROJECT,
          stackName: STACK,
          program: async () => {
            const args = linuxTemplateArgs(emulator.subscriptionId, "rg-config") as ImageTemplateArgs;
            delete args.location; // from azure-native:location
            delete args.subscriptionId; // from azure-native:subscriptionId
            const template = new ImageTemplate("from-config", args);
            return { subscriptionId: template.subscriptionId, location: template.location };
          },
        },
        await inlineOptions(stateDir, PROJECT, envVars),
      ),
    );
    await stack.setAllConfig({
      "azure-native:tenantId": { value: emulator.tenantId },
      "azure-native:clientId": { value: emulator.clientId },
      "azure-native:clientSecret": { value: emulator.clientSecret, secret: true },
      // As Pulumi ESC's azure-login writes it.
      "azure-native:subscriptionId": { value: `/subscriptions/${emulator.subscriptionId}` },
      // The emulator knows one tenant: its own stands in for a gallery's other tenant.
      "azure-native:auxiliaryTenantIds": { value: JSON.stringify([emulator.tenantId]) },
      "azure-native:location": { value: "westeurope" },
    });

    const up = await stack.up();
    assert.deepEqual(up.summary.resourceChanges, { create: 2 });
    assert.equal(up.outputs.subscriptionId.value, emulator.subscriptionId);
    assert.equal(up.outputs.location.value, "westeurope");
    const held = await templates(emulator);
    assert.equal(held.length, 1);
    assert.match(held[0].id, new RegExp(`^/subscriptions/${emulator.subscriptionId}/resourceGroups/rg-config/`, "i"));
    // Every request the engine's provider made carries the installed package's user agent.
    const { version } = JSON.parse(await readFile(path.join(__dirname, "../../package.json"), "utf8")) as {
      version: string;
    };
    const requests = await emulator.admin.requests();
    assert.ok(requests.some((r) => r.kind === "identity") && requests.some((r) => r.method === "PUT"));
    for (const r of requests) assert.ok(r.userAgent.startsWith(`pulumi-azure-imagebuilder/${version} `), r.userAgent);

    await stack.refresh();

    const raw = await readFile(path.join(stateDir, "backend", ".pulumi", "stacks", PROJECT, `${STACK}.json`), "utf8");
    assert.ok(!raw.includes(emulator.clientSecret), "the client secret is in the state file");
    assert.doesNotMatch(raw, /eyJ[\w-]+\.eyJ[\w-]+\./, "a token is in the state file");

    await stack.destroy();
    assert.deepEqual(await templates(emulator), []);
    await stack.workspace.removeStack(STACK);
  });
});
