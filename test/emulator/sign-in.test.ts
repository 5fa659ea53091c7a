/**
 * The emulator's sign-in endpoints beyond the client secret, spoken to as raw HTTPS: client assertions signed with the
 * service principal's certificate or federated tokens from its OIDC request URL, and the App Service style managed
 * identity endpoint. Every token they issue is accepted by ARM; everything else is refused as Entra ID refuses it.
 */
import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { importPKCS8, SignJWT } from "jose";
import { API, emulatorSuite } from "./util";

describe("emulator: sign-in with a certificate, a federated token or a managed identity", function () {
  const suite = emulatorSuite();

  const tokenEndpoint = () => `${suite.emu.url}/${suite.emu.tenantId}/oauth2/v2.0/token`;
  const listTemplates = (token: string) =>
    suite.a.request(
      "GET",
      `/subscriptions/${suite.emu.subscriptionId}/providers/Microsoft.VirtualMachineImages/imageTemplates?${API}`,
      undefined,
      { Authorization: `Bearer ${token}` },
    );
  const redeem = (assertion: string, type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") =>
    suite.a.request(
      "POST",
      tokenEndpoint(),
      new URLSearchParams({
        grant_type: "client_credentials",
        client_id: suite.emu.clientId,
        client_assertion_type: type,
        client_assertion: assertion,
        scope: "https://management.azure.com/.default",
      }).toString(),
      { "Content-Type": "application/x-www-form-urlencoded" },
    );

  /** A client assertion as MSAL makes it, signed with the emulator's client certificate. */
  async function certificateAssertion(
    claims: { audience?: string; expiresAt?: number | null; thumbprint?: Record<string, string> } = {},
  ): Promise<string> {
    const pem = readFileSync(suite.emu.clientCertificatePath, "utf8");
    const key = await importPKCS8(pem.slice(0, pem.indexOf("-----BEGIN CERTIFICATE-----")), "PS256");
    const der = new X509Certificate(pem.slice(pem.indexOf("-----BEGIN CERTIFICATE-----"))).raw;
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({})
      .setProtectedHeader({
        alg: "PS256",
        typ: "JWT",
        ...(claims.thumbprint ?? { "x5t#S256": createHash("sha256").update(der).digest("base64url") }),
      })
      .setIssuer(suite.emu.clientId)
      .setSubject(suite.emu.clientId)
      .setAudience(claims.audience ?? tokenEndpoint())
      .setNotBefore(now - 60);
    if (claims.expiresAt !== null) jwt.setExpirationTime(claims.expiresAt ?? now + 600);
    return jwt.sign(key);
  }
  const registeredDer = () => {
    const pem = readFileSync(suite.emu.clientCertificatePath, "utf8");
    return new X509Certificate(pem.slice(pem.indexOf("-----BEGIN CERTIFICATE-----"))).raw;
  };

  const oidcRequest = (bearer: string, query = "&audience=api://AzureADTokenExchange") =>
    suite.a.request("GET", `${suite.emu.oidcRequestUrl}${query}`, undefined, {
      Authorization: `Bearer ${bearer}`,
    });

  it("redeems an assertion signed with the client certificate for an ARM token", async () => {
    const r = await redeem(await certificateAssertion());
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await listTemplates(r.body.access_token)).status, 200);
  });

  it("refuses a certificate assertion for another audience (700027) or past its expiry (700024)", async () => {
    const wrongAudience = await redeem(await certificateAssertion({ audience: "https://login.example/token" }));
    assert.equal(wrongAudience.status, 401);
    assert.deepEqual(wrongAudience.body.error_codes, [700027]);
    const expired = await redeem(await certificateAssertion({ expiresAt: Math.floor(Date.now() / 1000) - 3600 }));
    assert.equal(expired.status, 401);
    assert.deepEqual(expired.body.error_codes, [700024]);
  });

  it("refuses a certificate assertion without exp (50027) or naming another certificate (700027); a reused one is fine", async () => {
    const noExpiry = await redeem(await certificateAssertion({ expiresAt: null }));
    assert.equal(noExpiry.status, 400, JSON.stringify(noExpiry.body));
    assert.deepEqual(noExpiry.body.error_codes, [50027]);
    assert.match(noExpiry.body.error_description, /^AADSTS50027: .*'exp'/);
    const other = createHash("sha1").update("another certificate").digest();
    for (const thumbprint of <Record<string, string>[]>[
      { x5t: other.toString("base64url") },
      { "x5t#S256": createHash("sha256").update("another certificate").digest("base64url") },
      // The registered SHA-256 thumbprint next to a foreign SHA-1 one: each named thumbprint must be the certificate's.
      {
        x5t: other.toString("base64url"),
        "x5t#S256": createHash("sha256").update(registeredDer()).digest("base64url"),
      },
    ]) {
      const r = await redeem(await certificateAssertion({ thumbprint }));
      assert.equal(r.status, 401, JSON.stringify(thumbprint));
      assert.deepEqual(r.body.error_codes, [700027]);
      assert.match(
        r.body.error_description,
        /not registered on application.*Thumbprint of key used by client: '[0-9A-F]+'/,
      );
    }
    // The registered certificate's SHA-1 thumbprint as MSAL for Go sends it (standard base64, padded) and as MSAL for
    // JS does (base64url); MSAL reuses one assertion for minutes, so the same one redeems twice.
    for (const encoding of ["base64", "base64url"] as const) {
      const assertion = await certificateAssertion({
        thumbprint: { x5t: createHash("sha1").update(registeredDer()).digest(encoding) },
      });
      for (const attempt of [1, 2]) {
        const r = await redeem(assertion);
        assert.equal(r.status, 200, `${encoding} attempt ${attempt}: ${JSON.stringify(r.body)}`);
      }
    }
  });

  it("hands out a federated token at the OIDC request URL only for its bearer token, and redeems it", async () => {
    const refused = await oidcRequest("not-the-token");
    assert.equal(refused.status, 401);
    assert.equal(refused.body.value, undefined);
    const issued = await oidcRequest(suite.emu.oidcRequestToken);
    assert.equal(issued.status, 200);
    const claims = JSON.parse(Buffer.from(issued.body.value.split(".")[1], "base64url").toString());
    assert.equal(claims.iss, `${suite.emu.url}/oidc`);
    assert.equal(claims.aud, "api://AzureADTokenExchange");
    const r = await redeem(issued.body.value);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await listTemplates(r.body.access_token)).status, 200);
  });

  it("issues for the requested audience, by default GitHub's (the owner's URL), which Entra refuses (70021)", async () => {
    const unasked = await oidcRequest(suite.emu.oidcRequestToken, "");
    const claims = JSON.parse(Buffer.from(unasked.body.value.split(".")[1], "base64url").toString());
    assert.equal(claims.aud, "https://github.com/emulator");
    const r = await redeem(unasked.body.value);
    assert.equal(r.status, 401);
    assert.deepEqual(r.body.error_codes, [70021]);
  });

  it("refuses an assertion that is not a compact JWT, such as a token file's text with its newline (50027)", async () => {
    const issued = await oidcRequest(suite.emu.oidcRequestToken);
    const r = await redeem(`${issued.body.value}\n`);
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.error_codes, [50027]);
  });

  it("refuses an ARM access token as client assertion (70021) and other assertion types (700023)", async () => {
    const asAssertion = await redeem(suite.a.token);
    assert.equal(asAssertion.status, 401);
    assert.deepEqual(asAssertion.body.error_codes, [70021]);
    const samlType = await redeem(await certificateAssertion(), "urn:ietf:params:oauth:client-assertion-type:saml2");
    assert.equal(samlType.status, 400);
    assert.deepEqual(samlType.body.error_codes, [700023]);
  });

  it("answers the managed identity endpoint with the identity header, for the resource asked", async () => {
    const url = (query: string) => `${suite.emu.identityEndpoint}?api-version=2019-08-01&${query}`;
    const header = { "X-IDENTITY-HEADER": suite.emu.identityHeader };
    const ok = await suite.a.request("GET", url("resource=https://management.azure.com"), undefined, header);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.resource, "https://management.azure.com");
    assert.ok(Number(ok.body.expires_on) > Date.now() / 1000);
    assert.equal((await listTemplates(ok.body.access_token)).status, 200);

    const noHeader = await suite.a.request("GET", url("resource=https://management.azure.com"), undefined, {
      "X-IDENTITY-HEADER": "guess",
    });
    assert.equal(noHeader.status, 401);
    const otherIdentity = await suite.a.request(
      "GET",
      url("resource=https://management.azure.com&client_id=00000000-0000-0000-0000-000000000001"),
      undefined,
      header,
    );
    assert.equal(otherIdentity.status, 400);
    const otherAudience = await suite.a.request("GET", url("resource=https://vault.azure.net"), undefined, header);
    assert.equal(otherAudience.status, 200);
    assert.equal((await listTemplates(otherAudience.body.access_token)).status, 401);
  });
});
