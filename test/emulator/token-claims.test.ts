/** What the emulator's tokens and signing keys say, as Entra ID's would, and how it keeps its identity on disk. */
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import * as path from "node:path";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { emulatorSuite } from "./util";

describe("emulator: token claims and signing keys", function () {
  const suite = emulatorSuite();

  it("issues RS256 JWTs for the app with its tenant in tid and iss", () => {
    assert.deepEqual(decodeProtectedHeader(suite.a.token), { alg: "RS256", typ: "JWT", kid: "emulator-signing-key" });
    const claims = decodeJwt(suite.a.token);
    assert.equal(claims.tid, suite.emu.tenantId);
    assert.equal(claims.iss, `https://sts.windows.net/${suite.emu.tenantId}/`);
    assert.equal(claims.appid, suite.emu.clientId);
    assert.equal(claims.idtyp, "app");
    assert.equal(typeof claims.oid, "string");
    assert.equal(claims.sub, claims.oid);
  });

  it("publishes its signing key as an RS256 signature key", async () => {
    const keys = await suite.a.request("GET", `/${suite.emu.tenantId}/discovery/v2.0/keys`);
    assert.equal(keys.status, 200);
    const [key] = keys.body.keys;
    assert.equal(key.kid, "emulator-signing-key");
    assert.equal(key.alg, "RS256");
    assert.equal(key.use, "sig");
    assert.equal(key.kty, "RSA");
    assert.equal(key.d, undefined, "no private part");
  });

  it("keeps its identity (secret and signing key) readable by its owner only", () => {
    const mode = statSync(path.join(suite.emu.dataDir, "identity.json")).mode & 0o777;
    assert.equal(mode, 0o600);
  });
});
