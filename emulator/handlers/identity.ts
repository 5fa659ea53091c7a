import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWSHeaderParameters } from "jose";
import type { FaultRule } from "../faults";
import type { EmulatorContext } from "../context";
import type { Reply } from "../http";

/**
 * The Entra ID endpoints MSAL uses for the client-credentials grant (MSAL first GETs
 * `/{tenant}/v2.0/.well-known/openid-configuration`, then POSTs the form to its `token_endpoint`): OIDC discovery, the v2.0 token endpoint and the signing keys. Errors use Entra's OAuth error shape.
 */
function aadError(status: number, error: string, code: number, description: string): Reply {
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${description}`,
      error_codes: [code],
      timestamp: new Date().toISOString(),
      trace_id: "00000000-0000-0000-0000-000000000000",
      correlation_id: "00000000-0000-0000-0000-000000000000",
    },
  };
}

const unknownTenant = (tenant: string) =>
  aadError(
    400,
    "invalid_request",
    90002,
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
  );

export function openIdConfiguration(ctx: EmulatorContext, tenant: string): Reply {
  if (tenant.toLowerCase() !== ctx.auth.principal.tenantId) return unknownTenant(tenant);
  const base = `${ctx.url}/${tenant}`;
  return {
    status: 200,
    body: {
      issuer: `${base}/v2.0`,
      token_endpoint: `${base}/oauth2/v2.0/token`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt"],
      grant_types_supported: ["client_credentials"],
      tenant_region_scope: "NA",
      cloud_instance_name: "emulator",
    },
  };
}

export function signingKeys(ctx: EmulatorContext, tenant: string): Reply {
  if (tenant.toLowerCase() !== ctx.auth.principal.tenantId) return unknownTenant(tenant);
  return { status: 200, body: { keys: [ctx.auth.publicJwk] } };
}

export async function token(ctx: EmulatorContext, tenant: string, rawBody: Buffer, fault?: FaultRule): Promise<Reply> {
  const p = ctx.auth.principal;
  if (tenant.toLowerCase() !== p.tenantId) return unknownTenant(tenant);
  const form = new URLSearchParams(rawBody.toString("utf8"));
  if (form.get("grant_type") !== "client_credentials") {
    return aadError(
      400,
      "unsupported_grant_type",
      70003,
      "The app requested an unsupported grant type. Only client_credentials is supported by the emulator.",
    );
  }
  if (form.get("client_id") !== p.clientId) {
    return aadError(
      400,
      "unauthorized_client",
      700016,
      `Application with identifier '${form.get("client_id") ?? ""}' was not found in the directory '${tenant}'.`,
    );
  }
  const assertionType = form.get("client_assertion_type");
  if (assertionType !== null) {
    const refused = await assertionRefusal(ctx, tenant, assertionType, form.get("client_assertion") ?? "");
    if (refused) return refused;
  } else if (form.get("client_secret") !== p.clientSecret) {
    return aadError(
      401,
      "invalid_client",
      7000215,
      "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
    );
  }
  const scope = form.get("scope") ?? "";
  const resource = scope.split(" ").find((s) => s.endsWith("/.default"));
  if (!resource) {
    return aadError(
      400,
      "invalid_scope",
      1002012,
      `The provided value for scope '${scope}' is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.`,
    );
  }
  const audience = resource.slice(0, -".default".length);
  // Fault storageForbidden: a storage token the blob service refuses (403), as for an identity without a data role.
  const forbidden = fault?.kind === "storageForbidden" && /storage\.azure\.com|\.blob\./i.test(audience);
  const { accessToken, expiresIn } = await ctx.auth.issue({ audience, ...(forbidden ? { issuer: ctx.url } : {}) });
  return {
    status: 200,
    body: { token_type: "Bearer", expires_in: expiresIn, ext_expires_in: expiresIn, access_token: accessToken },
  };
}

const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const FEDERATED_AUDIENCE = "api://AzureADTokenExchange";
/** Entra ID accepts assertions from clients whose clock is a few minutes off (nbf, exp). */
const CLOCK_SKEW_SECONDS = 300;

/** The issuer of the federated tokens the emulator hands out (and trusts) through its OIDC request URL. */
const federatedIssuer = (ctx: EmulatorContext) => `${ctx.url}/oidc`;

/**
 * Checks a client assertion the way Entra ID does for the two kinds it accepts: one the application signed with its
 * certificate (header names the certificate's thumbprint; audience the token endpoint; issuer and subject the client
 * id), or a federated token from an issuer the application trusts (here: the emulator's own OIDC issuer).
 */
const COMPACT_JWS = /^[\w-]+\.[\w-]+\.[\w-]*$/;

/** The thumbprint an assertion names (hex, as Entra ID quotes it) when it is not the registered certificate's. */
function unregisteredThumbprint(ctx: EmulatorContext, header: JWSHeaderParameters): string | undefined {
  const registered = ctx.signIn.clientCertificateThumbprints;
  for (const name of ["x5t", "x5t#S256"] as const) {
    if (header[name] === undefined) continue;
    // Compared as bytes: MSAL for Go sends standard base64 with padding, MSAL for JS base64url.
    const given = Buffer.from(String(header[name]), "base64");
    if (!given.equals(Buffer.from(registered[name], "base64url"))) return given.toString("hex").toUpperCase();
  }
  return undefined;
}

async function assertionRefusal(
  ctx: EmulatorContext,
  tenant: string,
  type: string,
  assertion: string,
): Promise<Reply | undefined> {
  if (type !== JWT_BEARER) {
    return aadError(400, "invalid_request", 700023, `Client assertion type '${type}' is not supported.`);
  }
  let header: JWSHeaderParameters;
  try {
    // Entra ID takes the compact form only: a trailing newline (a token file read as is) is not a JWT.
    if (!COMPACT_JWS.test(assertion)) throw new Error("not a compact JWS");
    header = decodeProtectedHeader(assertion);
  } catch {
    return aadError(400, "invalid_request", 50027, "Invalid JWT token. The token is not in a valid format.");
  }
  const certificateSigned = header.x5t !== undefined || header["x5t#S256"] !== undefined;
  const clientId = ctx.auth.principal.clientId;
  if (certificateSigned) {
    const unregistered = unregisteredThumbprint(ctx, header);
    if (unregistered !== undefined) {
      return aadError(
        401,
        "invalid_client",
        700027,
        `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${unregistered}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${clientId}'.]`,
      );
    }
  }
  try {
    if (certificateSigned) {
      await jwtVerify(assertion, ctx.signIn.clientCertificateKey, {
        algorithms: ["RS256", "PS256"],
        issuer: clientId,
        subject: clientId,
        audience: `${ctx.url}/${tenant}/oauth2/v2.0/token`,
        clockTolerance: CLOCK_SKEW_SECONDS,
        // An assertion without an expiry would be good forever once leaked; Entra ID requires `exp`.
        requiredClaims: ["exp"],
      });
    } else {
      await ctx.auth.verifyFederated(assertion, federatedIssuer(ctx));
    }
    return undefined;
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) {
      return aadError(401, "invalid_client", 700024, "Client assertion is not within its valid time range.");
    }
    if (e instanceof joseErrors.JWTClaimValidationFailed && e.claim === "exp") {
      return aadError(
        400,
        "invalid_request",
        50027,
        "Invalid JWT token. The client assertion has no expiry ('exp' claim), which is required.",
      );
    }
    if (certificateSigned) {
      return aadError(401, "invalid_client", 700027, "Client assertion failed signature validation.");
    }
    return aadError(
      401,
      "invalid_client",
      70021,
      `No matching federated identity record found for presented assertion. Expected issuer '${federatedIssuer(ctx)}' and audience '${FEDERATED_AUDIENCE}'.`,
    );
  }
}

/** GitHub's `aud` when the request names no `audience`: the repository owner's URL, which Entra ID does not accept. */
const GITHUB_DEFAULT_AUDIENCE = "https://github.com/emulator";

/**
 * A GitHub-Actions-style OIDC token request (ACTIONS_ID_TOKEN_REQUEST_URL with its bearer token): answers
 * `{count, value}` with a federated token for the requested `audience`; the token endpoint accepts it as the service
 * principal's client assertion when that audience is api://AzureADTokenExchange.
 */
export async function oidcTokenRequest(
  ctx: EmulatorContext,
  authorization: string | undefined,
  query: URLSearchParams,
): Promise<Reply> {
  if (authorization !== `Bearer ${ctx.signIn.oidcRequestToken}`) {
    return { status: 401, body: { message: "Bad credentials: the request token (ARM_OIDC_REQUEST_TOKEN) is wrong" } };
  }
  const audience = query.get("audience") ?? GITHUB_DEFAULT_AUDIENCE;
  return {
    status: 200,
    body: {
      count: 1,
      value: await ctx.auth.issueFederated(federatedIssuer(ctx), ctx.auth.defaultLifetimeSeconds, audience),
    },
  };
}

/**
 * An App Service style managed identity endpoint (IDENTITY_ENDPOINT, api-version 2019-08-01): the X-IDENTITY-HEADER
 * secret proves the caller runs on the host; the identity is the emulator's service principal (system-assigned, or
 * user-assigned when asked for by its client id).
 */
export async function managedIdentityToken(
  ctx: EmulatorContext,
  header: string | string[] | undefined,
  query: URLSearchParams,
): Promise<Reply> {
  if (header !== ctx.signIn.identityHeader) {
    return { status: 401, body: { statusCode: 401, message: "X-IDENTITY-HEADER is missing or wrong" } };
  }
  if (query.get("api-version") !== "2019-08-01") {
    return { status: 400, body: { statusCode: 400, message: "api-version must be 2019-08-01" } };
  }
  const resource = query.get("resource");
  if (!resource) return { status: 400, body: { statusCode: 400, message: "resource is required" } };
  const clientId = query.get("client_id") ?? ctx.auth.principal.clientId;
  if (clientId !== ctx.auth.principal.clientId) {
    return { status: 400, body: { statusCode: 400, message: `No managed identity with client id '${clientId}'` } };
  }
  const { accessToken, expiresIn } = await ctx.auth.issue({ audience: resource });
  return {
    status: 200,
    body: {
      access_token: accessToken,
      expires_on: String(Math.floor(Date.now() / 1000) + expiresIn),
      resource,
      token_type: "Bearer",
      client_id: clientId,
    },
  };
}
