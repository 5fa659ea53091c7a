import { mkdir, writeFile } from "node:fs/promises";
import * as path from "node:path";
import type { TestEmulator } from "./emulator";

/**
 * A stand-in for the Azure CLI (which this machine cannot install), logged in as the emulator's service principal,
 * written into `<dir>/az-bin`; returns that folder, for the front of PATH. `az account show` names the default
 * subscription; `az account get-access-token` answers in az's JSON with a token it gets from the emulator's token
 * endpoint at every call, as the real az gets one from Entra ID (so its tokens live the emulator's token lifetime).
 */
export async function installAzureCli(emu: TestEmulator, dir: string): Promise<string> {
  const bin = path.join(dir, "az-bin");
  await mkdir(bin, { recursive: true });
  const login = {
    url: emu.url,
    ca: emu.caPem,
    tenantId: emu.tenantId,
    clientId: emu.clientId,
    clientSecret: emu.clientSecret,
    subscriptionId: emu.subscriptionId,
  };
  const script = `#!${process.execPath}
const https = require("node:https");
const login = ${JSON.stringify(login)};
const [group, command, ...rest] = process.argv.slice(2);
if (group === "account" && command === "show" && rest.join(" ") !== "" && rest.join(" ") !== "--output json") {
  console.error("ERROR: unrecognized arguments: " + rest.join(" "));
  process.exit(2);
} else if (group === "account" && command === "show") {
  console.log(JSON.stringify({ id: login.subscriptionId, tenantId: login.tenantId, isDefault: true }));
} else if (group === "account" && command === "get-access-token") {
  const resource = process.argv[process.argv.indexOf("--resource") + 1];
  const form = new URLSearchParams({ grant_type: "client_credentials", client_id: login.clientId,
    client_secret: login.clientSecret, scope: resource + "/.default" }).toString();
  const req = https.request(login.url + "/" + login.tenantId + "/oauth2/v2.0/token",
    { method: "POST", ca: login.ca, headers: { "Content-Type": "application/x-www-form-urlencoded" } }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => {
        const t = JSON.parse(body);
        const expiresOn = Math.floor(Date.now() / 1000) + t.expires_in;
        console.log(JSON.stringify({ accessToken: t.access_token, expires_on: expiresOn, tokenType: "Bearer",
          subscription: login.subscriptionId, tenant: login.tenantId }));
      });
    });
  req.end(form);
} else {
  console.error("ERROR: unsupported az command " + process.argv.slice(2).join(" "));
  process.exit(2);
}
`;
  await writeFile(path.join(bin, "az"), script, { mode: 0o755 });
  return bin;
}
