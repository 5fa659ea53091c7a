import type { FaultRule } from "../faults";
import type { EmulatorCore } from "../core";
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

export function openIdConfiguration(emu: EmulatorCore, tenant: string): Reply {
  if (tenant.toLowerCase() !== emu.auth.principal.tenantId) return unknownTenant(tenant);
  const base = `${emu.url}/${tenant}`;
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
      token_endpoint_auth_methods_supported: ["client_secret_post"],
      grant_types_supported: ["client_credentials"],
      tenant_region_scope: "NA",
      cloud_instance_name: "emulator",
    },
  };
}

export function signingKeys(emu: EmulatorCore, tenant: string): Reply {
  if (tenant.toLowerCase() !== emu.auth.principal.tenantId) return unknownTenant(tenant);
  return { status: 200, body: { keys: [emu.auth.publicJwk] } };
}

export async function token(emu: EmulatorCore, tenant: string, rawBody: Buffer, fault?: FaultRule): Promise<Reply> {
  const p = emu.auth.principal;
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
  if (form.get("client_secret") !== p.clientSecret) {
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
  const { accessToken, expiresIn } = await emu.auth.issue({ audience, ...(forbidden ? { issuer: emu.url } : {}) });
  return {
    status: 200,
    body: { token_type: "Bearer", expires_in: expiresIn, ext_expires_in: expiresIn, access_token: accessToken },
  };
}
