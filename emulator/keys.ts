import { exportJWK, generateKeyPair, type JWK } from "jose";
import { selfSigned } from "./tls";

/**
 * The RSA keys a new data dir gets: Entra ID's token signing key and the service principal's client certificate (its
 * private key and certificate, PEM). RSA-2048 as Entra ID and MSAL need: each takes 0.15–0.3 s of CPU to make.
 */
export interface KeyMaterial {
  signingKey: JWK;
  clientCertificate: string;
}

export async function newKeyMaterial(): Promise<KeyMaterial> {
  const [{ privateKey }, pems] = await Promise.all([
    generateKeyPair("RS256", { extractable: true }),
    selfSigned("imagebuilder-emulator-client", 365),
  ]);
  return { signingKey: await exportJWK(privateKey), clientCertificate: `${pems.private}${pems.cert}` };
}
