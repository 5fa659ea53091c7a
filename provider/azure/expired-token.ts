import type { TokenCredential } from "@azure/identity";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";

/**
 * ARM refuses an access token that expired on the way (`401 ExpiredAuthenticationToken`): sent just before its end and
 * answered late, or checked by a clock ahead of ours. The SDK's bearer policy hands such a response back as it is, and a
 * build wait hours long would end on it; this policy asks the credential for a token afresh and sends the request once
 * more. A source that cannot renew (a static ARM_OIDC_TOKEN) fails that request for a token with its own error.
 * Placed per retry, after the bearer policy: the header it sets is the one sent.
 */
export function renewExpiredToken(credential: TokenCredential, scopes: string[]): PipelinePolicy {
  return {
    name: "renewExpiredToken",
    async sendRequest(request, next) {
      const response = await next(request);
      if (response.status !== 401 || !response.bodyAsText?.includes('"ExpiredAuthenticationToken"')) return response;
      const token = await credential.getToken(scopes, { abortSignal: request.abortSignal });
      if (!token) return response;
      request.headers.set("Authorization", `Bearer ${token.token}`);
      return next(request);
    },
  };
}
