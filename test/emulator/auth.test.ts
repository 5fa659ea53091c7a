import assert from "node:assert/strict";
import { SignJWT, generateKeyPair } from "jose";
import { API, emulatorSuite, templateBody, templatePath } from "./util";
import { startTestEmulator } from "../helpers/emulator";

describe("emulator: authentication and subscription isolation", function () {
  const suite = emulatorSuite();

  const listPath = () =>
    `/subscriptions/${suite.emu.subscriptionId}/providers/Microsoft.VirtualMachineImages/imageTemplates?${API}`;
  const withToken = (token: string) =>
    suite.a.request("GET", listPath(), undefined, { Authorization: `Bearer ${token}` });

  it("accepts a token from the token endpoint", async () => {
    assert.equal((await suite.a.request("GET", listPath())).status, 200);
  });

  it("rejects a request without Authorization with 401 AuthenticationFailed", async () => {
    const r = await suite.a.request("GET", listPath(), undefined, { Authorization: "" });
    assert.equal(r.status, 401);
    assert.equal(r.body.error.code, "AuthenticationFailed");
    assert.match(r.body.error.message, /'Authorization' header is missing/);
  });

  it("rejects a forged token (signed with another key) with 401 InvalidAuthenticationToken", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const forged = await new SignJWT({
      tid: suite.emu.tenantId,
      xms_emulator_subscriptions: [suite.emu.subscriptionId],
    })
      .setProtectedHeader({ alg: "RS256", kid: "emulator-signing-key" })
      .setAudience("https://management.azure.com/")
      .setExpirationTime("1h")
      .sign(privateKey);
    const r = await withToken(forged);
    assert.equal(r.status, 401);
    assert.equal(r.body.error.code, "InvalidAuthenticationToken");
    assert.equal((await withToken("not-a-jwt")).body.error.code, "InvalidAuthenticationToken");
  });

  it("refuses a token another emulator of this process issued, though test emulators share their signing key", async () => {
    const other = await startTestEmulator();
    try {
      const { accessToken } = await other.admin.issueToken();
      const r = await withToken(accessToken);
      assert.equal(r.status, 401);
      assert.equal(r.body.error.code, "InvalidAuthenticationToken");
    } finally {
      await other.stop();
    }
  });

  it("rejects an expired token with 401 ExpiredAuthenticationToken", async () => {
    const { accessToken } = await suite.emu.admin.issueToken({ lifetimeSeconds: -60 });
    const r = await withToken(accessToken);
    assert.equal(r.status, 401);
    assert.equal(r.body.error.code, "ExpiredAuthenticationToken");
    assert.match(
      r.body.error.message,
      /^The access token expiry UTC time '.+' is earlier than current UTC time '.+'\.$/,
    );
  });

  it("rejects a token for another audience", async () => {
    const { accessToken } = await suite.emu.admin.issueToken({ audience: "https://vault.azure.net" });
    const r = await withToken(accessToken);
    assert.equal(r.status, 401);
    assert.match(r.body.error.message, /wrong audience/);
  });

  it("refuses another subscription's resources with 403 AuthorizationFailed and keeps subscriptions apart", async () => {
    const other = "11111111-2222-3333-4444-555555555555";
    const { accessToken } = await suite.emu.admin.issueToken({ subscriptionIds: [other] });
    const auth = { Authorization: `Bearer ${accessToken}` };
    const denied = await suite.a.request(
      "PUT",
      templatePath(suite.emu.subscriptionId, "rg", "t"),
      templateBody(suite.emu.subscriptionId),
      auth,
    );
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.code, "AuthorizationFailed");
    assert.match(
      denied.body.error.message,
      /does not have authorization to perform action 'Microsoft\.VirtualMachineImages\/imageTemplates\/write'/,
    );

    const created = await suite.a.request("PUT", templatePath(other, "rg", "t"), templateBody(other), auth);
    assert.equal(created.status, 201);
    const mine = await suite.a.request("GET", listPath());
    assert.deepEqual(mine.body.value, []);
    assert.equal((await suite.a.request("GET", templatePath(suite.emu.subscriptionId, "rg", "t"))).status, 404);
    const theirs = await suite.a.request(
      "GET",
      `/subscriptions/${other}/providers/Microsoft.VirtualMachineImages/imageTemplates?${API}`,
      undefined,
      auth,
    );
    assert.equal(theirs.body.value.length, 1);
  });

  it("answers token requests with Entra ID's errors for a wrong secret, client or tenant", async () => {
    const form = (o: Record<string, string>) =>
      new URLSearchParams({
        grant_type: "client_credentials",
        client_id: suite.emu.clientId,
        client_secret: suite.emu.clientSecret,
        scope: "https://management.azure.com/.default",
        ...o,
      }).toString();
    const post = (tenant: string, body: string) =>
      suite.a.request("POST", `/${tenant}/oauth2/v2.0/token`, body, {
        "Content-Type": "application/x-www-form-urlencoded",
      });
    const badSecret = await post(suite.emu.tenantId, form({ client_secret: "nope" }));
    assert.equal(badSecret.status, 401);
    assert.equal(badSecret.body.error, "invalid_client");
    assert.equal(
      (await post(suite.emu.tenantId, form({ client_id: "someone-else" }))).body.error,
      "unauthorized_client",
    );
    assert.equal((await post("other-tenant", form({}))).status, 400);
    const discovery = await suite.a.request("GET", `/${suite.emu.tenantId}/v2.0/.well-known/openid-configuration`);
    assert.equal(discovery.body.token_endpoint, `${suite.emu.url}/${suite.emu.tenantId}/oauth2/v2.0/token`);
  });
});
