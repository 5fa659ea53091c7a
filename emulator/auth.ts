import { promises as fs } from "node:fs";
import * as path from "node:path";
import { randomUUID, createPublicKey, type KeyObject } from "node:crypto";
import { SignJWT, jwtVerify, exportJWK, importJWK, errors as joseErrors, type JWK } from "jose";
import { ArmError, errors } from "./errors";
import { type KeyMaterial, newKeyMaterial } from "./keys";

/** The one service principal the emulator knows; persisted so a restart on the same data dir keeps the credentials. */
export interface Principal {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  objectId: string;
  subscriptionId: string;
}

interface IdentityFile extends Principal {
  signingKey: JWK;
}

/** What an accepted ARM token says about its caller. */
export interface Caller {
  tenantId: string;
  clientId: string;
  objectId: string;
  subscriptionIds: string[];
}

export interface IssueOptions {
  tenantId?: string;
  clientId?: string;
  objectId?: string;
  subscriptionIds?: string[];
  /** Negative values mint an already expired token (for tests). */
  lifetimeSeconds?: number;
  audience?: string;
  /** Default: the Azure AD v1 issuer of the tenant (https://sts.windows.net/{tenant}/). */
  issuer?: string;
}

const ARM_AUDIENCES = new Set([
  "https://management.azure.com/",
  "https://management.azure.com",
  "https://management.core.windows.net/",
  "https://management.core.windows.net",
]);
/** Audiences Azure Storage accepts for any account (`https://storage.azure.com/.default`). */
const STORAGE_AUDIENCES = new Set(["https://storage.azure.com/", "https://storage.azure.com"]);
/** Custom claim carrying the subscriptions a token may touch (real ARM uses RBAC; one claim models it). */
const SUBSCRIPTIONS_CLAIM = "xms_emulator_subscriptions";
const KID = "emulator-signing-key";
const FEDERATION_KID = "emulator-federation-key";
const FEDERATED_AUDIENCE = "api://AzureADTokenExchange";
/** The one workload the emulator's federated identity credential trusts (GitHub's subject format). */
const FEDERATED_SUBJECT = "repo:emulator/workload:environment:emulator";

/** Signs (RS256, key persisted in the data dir) and checks ARM bearer tokens. */
export class TokenAuthority {
  /** Verified tokens, so the hot path skips RSA verification; expiry is still checked on every request. */
  private readonly verified = new Map<string, { caller: Caller; exp: number }>();

  private constructor(
    readonly principal: Principal,
    private readonly privateKey: KeyObject,
    readonly publicJwk: JWK,
    /** Of access tokens and of the OIDC request URL's federated tokens (a CI job's token expires too). */
    readonly defaultLifetimeSeconds: number,
  ) {}

  /** `newKeys` makes the signing key of a data dir that has none yet. */
  static async load(
    dataDir: string,
    tokenLifetimeSeconds: number,
    newKeys: () => Promise<KeyMaterial> = newKeyMaterial,
  ): Promise<TokenAuthority> {
    const file = path.join(dataDir, "identity.json");
    let identity: IdentityFile;
    try {
      identity = JSON.parse(await fs.readFile(file, "utf8")) as IdentityFile;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      identity = {
        tenantId: randomUUID(),
        clientId: randomUUID(),
        clientSecret: `emu~${randomUUID()}`,
        objectId: randomUUID(),
        subscriptionId: randomUUID(),
        signingKey: (await newKeys()).signingKey,
      };
      await fs.writeFile(`${file}.tmp`, JSON.stringify(identity), { mode: 0o600 });
      await fs.rename(`${file}.tmp`, file);
    }
    const { signingKey, ...principal } = identity;
    const privateKey = (await importJWK(signingKey, "RS256")) as KeyObject;
    const publicJwk = { ...(await exportJWK(createPublicKey(privateKey))), kid: KID, alg: "RS256", use: "sig" };
    return new TokenAuthority(principal, privateKey, publicJwk, tokenLifetimeSeconds);
  }

  async issue(options: IssueOptions = {}): Promise<{ accessToken: string; expiresIn: number }> {
    const p = this.principal;
    const tenantId = options.tenantId ?? p.tenantId;
    const lifetime = options.lifetimeSeconds ?? this.defaultLifetimeSeconds;
    const now = Math.floor(Date.now() / 1000);
    const accessToken = await new SignJWT({
      tid: tenantId,
      oid: options.objectId ?? p.objectId,
      appid: options.clientId ?? p.clientId,
      idtyp: "app",
      [SUBSCRIPTIONS_CLAIM]: options.subscriptionIds ?? [p.subscriptionId],
    })
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: KID })
      .setIssuer(options.issuer ?? `https://sts.windows.net/${tenantId}/`)
      .setAudience(options.audience ?? "https://management.azure.com/")
      .setSubject(options.objectId ?? p.objectId)
      .setIssuedAt(now)
      .setNotBefore(Math.min(now, now + lifetime) - 300)
      .setExpirationTime(now + lifetime)
      .sign(this.privateKey);
    return { accessToken, expiresIn: lifetime };
  }

  /**
   * A federated token the emulator's tenant trusts for its service principal (a federated identity credential), like
   * the OIDC token GitHub Actions or a Kubernetes cluster issue: audience api://AzureADTokenExchange.
   */
  async issueFederated(issuer: string, lifetimeSeconds = 3600, audience = FEDERATED_AUDIENCE): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: FEDERATION_KID })
      .setIssuer(issuer)
      .setSubject(FEDERATED_SUBJECT)
      .setAudience(audience)
      .setIssuedAt(now)
      .setNotBefore(now - 300)
      .setExpirationTime(now + lifetimeSeconds)
      .sign(this.privateKey);
  }

  /** Whether `token` is a live federated token of `issuer` (jose's error otherwise). */
  async verifyFederated(token: string, issuer: string): Promise<void> {
    await jwtVerify(token, this.privateKey, {
      algorithms: ["RS256"],
      issuer,
      audience: FEDERATED_AUDIENCE,
      subject: FEDERATED_SUBJECT,
    });
  }

  /**
   * Checks a blob request's `Authorization` header as Azure Storage checks a bearer token: signed by this emulator's
   * key, for its tenant (`tid` and an issuer of it), a storage audience, not expired. Undefined when accepted, else
   * why not.
   */
  async storageTokenRefusal(header: string): Promise<string | undefined> {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) return "Only bearer tokens are accepted.";
    const tenant = this.principal.tenantId;
    try {
      const { payload } = await jwtVerify(match[1], this.privateKey, {
        algorithms: ["RS256"],
        issuer: [`https://sts.windows.net/${tenant}/`, `https://login.microsoftonline.com/${tenant}/v2.0`],
        requiredClaims: ["exp", "tid"],
      });
      if (payload.tid !== tenant) return `The token is for tenant '${String(payload.tid)}'.`;
      const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if (!audiences.some((a) => a !== undefined && STORAGE_AUDIENCES.has(a)))
        return `Audience validation failed: '${String(payload.aud)}' is not a storage audience.`;
      return undefined;
    } catch (e) {
      return e instanceof joseErrors.JOSEError ? `Token validation failed (${e.code}).` : "Token validation failed.";
    }
  }

  /** Checks an `Authorization` header; throws the ArmError ARM would send (401). */
  async verify(header: string | undefined): Promise<Caller> {
    if (header === undefined || header === "") throw errors.authMissing();
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw errors.authMalformed();
    const token = match[1];
    const now = Math.floor(Date.now() / 1000);
    const cached = this.verified.get(token);
    if (cached) {
      if (cached.exp <= now) throw errors.tokenExpired(cached.exp, now);
      return cached.caller;
    }
    let payload;
    try {
      // Only this emulator's tenant, under either issuer form Entra ID uses, and never a token without expiry.
      const tenant = this.principal.tenantId;
      ({ payload } = await jwtVerify(token, this.privateKey, {
        algorithms: ["RS256"],
        issuer: [`https://sts.windows.net/${tenant}/`, `https://login.microsoftonline.com/${tenant}/v2.0`],
        requiredClaims: ["exp", "tid"],
      }));
      if (payload.tid !== tenant) throw errors.tokenInvalid(`(the token is for tenant '${String(payload.tid)}')`);
    } catch (e) {
      if (e instanceof ArmError) throw e;
      if (e instanceof joseErrors.JWTExpired) throw errors.tokenExpired(Number(e.payload.exp), now);
      throw errors.tokenInvalid(e instanceof joseErrors.JOSEError ? `(${e.code})` : "");
    }
    const aud = Array.isArray(payload.aud) ? payload.aud[0] : payload.aud;
    if (!aud || !ARM_AUDIENCES.has(aud)) throw errors.tokenWrongAudience(String(aud));
    const subs = payload[SUBSCRIPTIONS_CLAIM];
    const caller: Caller = {
      tenantId: String(payload.tid),
      clientId: String(payload.appid),
      objectId: String(payload.oid),
      subscriptionIds: Array.isArray(subs) ? subs.map(String) : [],
    };
    if (this.verified.size > 10_000) this.verified.clear();
    this.verified.set(token, { caller, exp: Number(payload.exp) });
    return caller;
  }
}
