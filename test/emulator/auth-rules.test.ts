/**
 * The emulator's token authority on its own, over a real data dir: the claims of the tokens it mints (as Entra ID's
 * v1 app tokens carry them), the ARM errors it answers for each kind of bad `Authorization` header, and how it keeps
 * its identity on disk. Tokens it must refuse but cannot mint itself (no `exp`, another `tid`) are signed here with
 * its own key, read from the identity file, so only the claim under test is wrong. The clock is frozen, never waited.
 */
import assert from "node:assert/strict";
import type { KeyObject } from "node:crypto";
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { SignJWT, decodeJwt, decodeProtectedHeader, generateKeyPair, importJWK, type JWTPayload } from "jose";
import { TokenAuthority, type Caller } from "../../emulator/auth";
import { ArmError } from "../../emulator/errors";
import { frozenClock } from "./util";

const ARM = "https://management.azure.com/";
const FEDERATED_AUDIENCE = "api://AzureADTokenExchange";
const FEDERATED_SUBJECT = "repo:emulator/workload:environment:emulator";
const ISSUER = "https://token.actions.example.com";
/** 15 January 2026, 13:05:09 UTC: a fixed instant so expiry messages can be written out in ARM's date format. */
const FROZEN_AT = Date.UTC(2026, 0, 15, 13, 5, 9);
const NOW = FROZEN_AT / 1000;

/** Asserts that `promise` fails with exactly ARM's 401 (code and message) given. */
async function refused(promise: Promise<unknown>, code: string, message: string) {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof ArmError, `an ArmError, got ${String(e)}`);
    assert.deepEqual([e.status, e.code, e.message], [401, code, message]);
    return true;
  });
}

describe("emulator: token authority rules", function () {
  let dataDir: string;
  let authority: TokenAuthority;
  /** The emulator's own signing key, to sign tokens that differ from its own in one claim only. */
  let key: KeyObject;
  let clock: ReturnType<typeof frozenClock> | undefined;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "emu-auth-"));
    authority = await TokenAuthority.load(dataDir, 3600);
    const identity = JSON.parse(await readFile(path.join(dataDir, "identity.json"), "utf8"));
    key = (await importJWK(identity.signingKey, "RS256")) as KeyObject;
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    clock = frozenClock(FROZEN_AT);
  });
  afterEach(async () => {
    await clock?.release();
    clock = undefined;
  });

  const p = () => authority.principal;
  const bearer = (token: string) => `Bearer ${token}`;
  /** A token signed with the emulator's key and its tenant's issuer; `audience: null` leaves `aud` out. */
  const signed = (claims: JWTPayload, audience: string | string[] | null = ARM) => {
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: "emulator-signing-key" })
      .setIssuer(`https://sts.windows.net/${p().tenantId}/`);
    return (audience === null ? jwt : jwt.setAudience(audience)).sign(key);
  };
  const me = (): Caller => ({
    tenantId: p().tenantId,
    clientId: p().clientId,
    objectId: p().objectId,
    subscriptionIds: [p().subscriptionId],
  });

  describe("tokens it mints", () => {
    it("carries the principal's app claims, issued now, valid from five minutes back for the default lifetime", async () => {
      const { accessToken, expiresIn } = await authority.issue();
      assert.equal(expiresIn, 3600);
      assert.deepEqual(decodeProtectedHeader(accessToken), { alg: "RS256", typ: "JWT", kid: "emulator-signing-key" });
      assert.deepEqual(decodeJwt(accessToken), {
        tid: p().tenantId,
        oid: p().objectId,
        appid: p().clientId,
        idtyp: "app",
        xms_emulator_subscriptions: [p().subscriptionId],
        iss: `https://sts.windows.net/${p().tenantId}/`,
        aud: ARM,
        sub: p().objectId,
        iat: NOW,
        nbf: NOW - 300,
        exp: NOW + 3600,
      });
    });

    it("takes each claim the request names instead of the principal's", async () => {
      const asked = {
        tenantId: "tenant-x",
        clientId: "client-x",
        objectId: "object-x",
        subscriptionIds: ["sub-1", "sub-2"],
        lifetimeSeconds: 120,
        audience: "https://vault.azure.net",
        issuer: "https://login.microsoftonline.com/tenant-x/v2.0",
      };
      const { accessToken, expiresIn } = await authority.issue(asked);
      assert.equal(expiresIn, 120);
      assert.deepEqual(decodeJwt(accessToken), {
        tid: "tenant-x",
        oid: "object-x",
        appid: "client-x",
        idtyp: "app",
        xms_emulator_subscriptions: ["sub-1", "sub-2"],
        iss: "https://login.microsoftonline.com/tenant-x/v2.0",
        aud: "https://vault.azure.net",
        sub: "object-x",
        iat: NOW,
        nbf: NOW - 300,
        exp: NOW + 120,
      });
      assert.equal(
        decodeJwt((await authority.issue({ tenantId: "tenant-y" })).accessToken).iss,
        "https://sts.windows.net/tenant-y/",
      );
    });

    it("mints an already expired token for a negative lifetime, valid from before it expired", async () => {
      const { accessToken, expiresIn } = await authority.issue({ lifetimeSeconds: -60 });
      assert.equal(expiresIn, -60);
      const { iat, nbf, exp } = decodeJwt(accessToken);
      assert.deepEqual({ iat, nbf, exp }, { iat: NOW, nbf: NOW - 360, exp: NOW - 60 });
    });

    it("uses the lifetime it was loaded with by default", async () => {
      const shortLived = await TokenAuthority.load(dataDir, 90);
      const { accessToken, expiresIn } = await shortLived.issue();
      assert.equal(expiresIn, 90);
      assert.equal(decodeJwt(accessToken).exp, NOW + 90);
    });
  });

  describe("Authorization headers it accepts", () => {
    it("returns the caller a valid token names", async () => {
      const { accessToken } = await authority.issue();
      assert.deepEqual(await authority.verify(bearer(accessToken)), me());
      // The second time from the verified-token cache: same answer.
      assert.deepEqual(await authority.verify(bearer(accessToken)), me());
    });

    it("takes the scheme in any case and any whitespace before the token", async () => {
      const { accessToken } = await authority.issue();
      for (const header of [`bearer ${accessToken}`, `BEARER  ${accessToken}`, `Bearer\t${accessToken}`])
        assert.deepEqual(await authority.verify(header), me(), header.slice(0, 8));
    });

    it("accepts each audience ARM accepts, and a list of audiences led by one of them", async () => {
      const audiences = [
        "https://management.azure.com/",
        "https://management.azure.com",
        "https://management.core.windows.net/",
        "https://management.core.windows.net",
      ];
      for (const audience of audiences) {
        const { accessToken } = await authority.issue({ audience });
        assert.deepEqual(await authority.verify(bearer(accessToken)), me(), audience);
      }
      const listed = await signed({ tid: p().tenantId, appid: p().clientId, oid: p().objectId, exp: NOW + 60 }, [
        ARM,
        "https://vault.azure.net",
      ]);
      assert.equal((await authority.verify(bearer(listed))).tenantId, p().tenantId);
    });

    it("accepts the tenant's v2.0 issuer as well as its v1 issuer", async () => {
      const { accessToken } = await authority.issue({
        issuer: `https://login.microsoftonline.com/${p().tenantId}/v2.0`,
      });
      assert.deepEqual(await authority.verify(bearer(accessToken)), me());
    });

    it("gives a token without the subscriptions claim no subscription", async () => {
      const token = await signed({ tid: p().tenantId, appid: "app-1", oid: "obj-1", exp: NOW + 60 });
      assert.deepEqual(await authority.verify(bearer(token)), {
        tenantId: p().tenantId,
        clientId: "app-1",
        objectId: "obj-1",
        subscriptionIds: [],
      });
    });
  });

  describe("Authorization headers it refuses, with ARM's 401", () => {
    const missing = "Authentication failed. The 'Authorization' header is missing.";
    const malformed = "Authentication failed. The 'Authorization' header is provided in an invalid format.";

    it("no header, or an empty one: AuthenticationFailed, header missing", async () => {
      await refused(authority.verify(undefined), "AuthenticationFailed", missing);
      await refused(authority.verify(""), "AuthenticationFailed", missing);
    });

    it("not `Bearer <token>`: AuthenticationFailed, invalid format", async () => {
      const { accessToken } = await authority.issue();
      for (const header of [
        `Basic ${accessToken}`,
        "Bearer",
        "Bearer ",
        `Bearer${accessToken}`,
        `xBearer ${accessToken}`,
        `Bearer ${accessToken} extra`,
        `Bearer ${accessToken} `,
      ])
        await refused(authority.verify(header), "AuthenticationFailed", malformed);
    });

    it("not a JWT, or signed with another key: InvalidAuthenticationToken naming the failed check", async () => {
      await refused(
        authority.verify("Bearer not-a-jwt"),
        "InvalidAuthenticationToken",
        "The access token is invalid. (ERR_JWS_INVALID)",
      );
      const { privateKey } = await generateKeyPair("RS256");
      const forged = await new SignJWT({ tid: p().tenantId })
        .setProtectedHeader({ alg: "RS256", kid: "emulator-signing-key" })
        .setIssuer(`https://sts.windows.net/${p().tenantId}/`)
        .setAudience(ARM)
        .setExpirationTime(NOW + 60)
        .sign(privateKey);
      await refused(
        authority.verify(bearer(forged)),
        "InvalidAuthenticationToken",
        "The access token is invalid. (ERR_JWS_SIGNATURE_VERIFICATION_FAILED)",
      );
    });

    it("another tenant's issuer, a token without expiry or tenant: InvalidAuthenticationToken", async () => {
      const claimFailed = "The access token is invalid. (ERR_JWT_CLAIM_VALIDATION_FAILED)";
      const otherIssuer = await authority.issue({ issuer: "https://sts.windows.net/another-tenant/" });
      await refused(authority.verify(bearer(otherIssuer.accessToken)), "InvalidAuthenticationToken", claimFailed);
      const noExpiry = await signed({ tid: p().tenantId });
      await refused(authority.verify(bearer(noExpiry)), "InvalidAuthenticationToken", claimFailed);
      const noTenant = await signed({ exp: NOW + 60 });
      await refused(authority.verify(bearer(noTenant)), "InvalidAuthenticationToken", claimFailed);
    });

    it("a tid other than the issuer's tenant: InvalidAuthenticationToken naming that tenant", async () => {
      const token = await signed({ tid: "another-tenant", exp: NOW + 60 });
      await refused(
        authority.verify(bearer(token)),
        "InvalidAuthenticationToken",
        "The access token is invalid. (the token is for tenant 'another-tenant')",
      );
    });

    it("another audience, or none: InvalidAuthenticationToken naming the audience", async () => {
      const allowed =
        "It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.";
      const vault = await authority.issue({ audience: "https://vault.azure.net" });
      await refused(
        authority.verify(bearer(vault.accessToken)),
        "InvalidAuthenticationToken",
        `The access token has been obtained for wrong audience or resource 'https://vault.azure.net'. ${allowed}`,
      );
      const none = await signed({ tid: p().tenantId, exp: NOW + 60 }, null);
      await refused(
        authority.verify(bearer(none)),
        "InvalidAuthenticationToken",
        `The access token has been obtained for wrong audience or resource 'undefined'. ${allowed}`,
      );
    });

    it("an expired token, fresh or remembered: ExpiredAuthenticationToken with both times in ARM's format", async () => {
      const stale = await authority.issue({ lifetimeSeconds: -60 });
      await refused(
        authority.verify(bearer(stale.accessToken)),
        "ExpiredAuthenticationToken",
        "The access token expiry UTC time '1/15/2026 1:04:09 PM' is earlier than current UTC time '1/15/2026 1:05:09 PM'.",
      );

      const remembered = await authority.issue({ lifetimeSeconds: 60 });
      assert.deepEqual(await authority.verify(bearer(remembered.accessToken)), me());
      clock!.advance(60_000);
      await refused(
        authority.verify(bearer(remembered.accessToken)),
        "ExpiredAuthenticationToken",
        "The access token expiry UTC time '1/15/2026 1:06:09 PM' is earlier than current UTC time '1/15/2026 1:06:09 PM'.",
      );
    });
  });

  describe("federated tokens (workload identity)", () => {
    it("mints a token for its one trusted workload, to the token exchange audience", async () => {
      assert.deepEqual(decodeProtectedHeader(await authority.issueFederated(ISSUER)), {
        alg: "RS256",
        typ: "JWT",
        kid: "emulator-federation-key",
      });
      assert.deepEqual(decodeJwt(await authority.issueFederated(ISSUER)), {
        iss: ISSUER,
        sub: FEDERATED_SUBJECT,
        aud: FEDERATED_AUDIENCE,
        iat: NOW,
        nbf: NOW - 300,
        exp: NOW + 3600,
      });
      assert.equal(decodeJwt(await authority.issueFederated(ISSUER, 120)).exp, NOW + 120);
    });

    it("accepts its own federated token for that issuer only, and only live and for that workload", async () => {
      await authority.verifyFederated(await authority.issueFederated(ISSUER), ISSUER);
      await assert.rejects(authority.verifyFederated(await authority.issueFederated(ISSUER), "https://other.example"), {
        code: "ERR_JWT_CLAIM_VALIDATION_FAILED",
        claim: "iss",
      });
      await assert.rejects(authority.verifyFederated(await authority.issueFederated(ISSUER, -60), ISSUER), {
        code: "ERR_JWT_EXPIRED",
      });
      const otherWorkload = await authority.issue({ issuer: ISSUER, audience: FEDERATED_AUDIENCE, objectId: "repo:x" });
      await assert.rejects(authority.verifyFederated(otherWorkload.accessToken, ISSUER), {
        code: "ERR_JWT_CLAIM_VALIDATION_FAILED",
        claim: "sub",
      });
      const otherAudience = await authority.issue({ issuer: ISSUER, objectId: FEDERATED_SUBJECT });
      await assert.rejects(authority.verifyFederated(otherAudience.accessToken, ISSUER), {
        code: "ERR_JWT_CLAIM_VALIDATION_FAILED",
        claim: "aud",
      });
    });
  });

  describe("its identity on disk", () => {
    it("creates the identity once, owner-only, and keeps principal and key on the next load", async () => {
      const dir = await mkdtemp(path.join(tmpdir(), "emu-identity-"));
      try {
        const first = await TokenAuthority.load(dir, 3600);
        assert.deepEqual(await readdir(dir), ["identity.json"], "no temp file left behind");
        assert.equal((await stat(path.join(dir, "identity.json"))).mode & 0o777, 0o600);
        const stored = JSON.parse(await readFile(path.join(dir, "identity.json"), "utf8"));
        const { signingKey, ...principal } = stored;
        assert.deepEqual(principal, first.principal);
        assert.match(first.principal.clientSecret, /^emu~[0-9a-f-]{36}$/);
        assert.equal(signingKey.kty, "RSA");
        assert.ok(signingKey.d, "the private key is kept");
        const { kid, alg, use, kty, ...rest } = first.publicJwk;
        assert.deepEqual({ kid, alg, use, kty }, { kid: "emulator-signing-key", alg: "RS256", use: "sig", kty: "RSA" });
        assert.deepEqual(Object.keys(rest).sort(), ["e", "n"], "the public part only");

        const second = await TokenAuthority.load(dir, 3600);
        assert.deepEqual(second.principal, first.principal);
        assert.deepEqual(second.publicJwk, first.publicJwk);
        const { accessToken } = await first.issue();
        assert.deepEqual(await second.verify(bearer(accessToken)), await first.verify(bearer(accessToken)));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("refuses to start on an unreadable identity instead of replacing the credentials", async () => {
      const dir = await mkdtemp(path.join(tmpdir(), "emu-identity-"));
      try {
        await writeFile(path.join(dir, "identity.json"), "{truncated");
        await assert.rejects(TokenAuthority.load(dir, 3600), SyntaxError);
        assert.equal(await readFile(path.join(dir, "identity.json"), "utf8"), "{truncated", "left as it was");
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
