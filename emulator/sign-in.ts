import { promises as fs } from "node:fs";
import * as path from "node:path";
import { createHash, createPublicKey, randomUUID, X509Certificate, type KeyObject } from "node:crypto";
import { validForAnotherDay } from "./tls";
import { type KeyMaterial, newKeyMaterial } from "./keys";

/**
 * What the sign-in flows other than the client secret need, kept in the data dir like the secret: the service
 * principal's client certificate (a PEM file with its private key, as ARM_CLIENT_CERTIFICATE_PATH expects), the bearer
 * token of the GitHub-Actions-style OIDC request URL, and the App Service managed identity endpoint's header secret.
 */
export interface SignInMaterial {
  clientCertificatePath: string;
  /** The public key client assertions signed with the certificate are checked against. */
  clientCertificateKey: KeyObject;
  /** The registered certificate's thumbprints as assertion headers carry them (`x5t`: SHA-1, `x5t#S256`), base64url. */
  clientCertificateThumbprints: { x5t: string; "x5t#S256": string };
  oidcRequestToken: string;
  identityHeader: string;
}

interface Secrets {
  oidcRequestToken: string;
  identityHeader: string;
}

async function loadClientCertificate(file: string, newKeys: () => Promise<KeyMaterial>): Promise<string> {
  try {
    const pem = await fs.readFile(file, "utf8");
    if (validForAnotherDay(pem)) return pem;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  const pem = (await newKeys()).clientCertificate;
  await fs.writeFile(`${file}.tmp`, pem, { mode: 0o600 });
  await fs.rename(`${file}.tmp`, file);
  return pem;
}

async function loadSecrets(file: string): Promise<Secrets> {
  try {
    return JSON.parse(await fs.readFile(file, "utf8")) as Secrets;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  const secrets: Secrets = { oidcRequestToken: `oidc~${randomUUID()}`, identityHeader: `msi~${randomUUID()}` };
  await fs.writeFile(`${file}.tmp`, JSON.stringify(secrets), { mode: 0o600 });
  await fs.rename(`${file}.tmp`, file);
  return secrets;
}

/** `newKeys` makes the client certificate of a data dir that has none yet (or whose certificate expires within a day). */
export async function loadSignInMaterial(
  dataDir: string,
  newKeys: () => Promise<KeyMaterial> = newKeyMaterial,
): Promise<SignInMaterial> {
  const clientCertificatePath = path.join(dataDir, "client-certificate.pem");
  const [pem, secrets] = await Promise.all([
    loadClientCertificate(clientCertificatePath, newKeys),
    loadSecrets(path.join(dataDir, "sign-in.json")),
  ]);
  const certificate = pem.slice(pem.indexOf("-----BEGIN CERTIFICATE-----"));
  const der = new X509Certificate(certificate).raw;
  const thumbprint = (algorithm: string) => createHash(algorithm).update(der).digest("base64url");
  return {
    clientCertificatePath,
    clientCertificateKey: createPublicKey(certificate),
    clientCertificateThumbprints: { x5t: thumbprint("sha1"), "x5t#S256": thumbprint("sha256") },
    ...secrets,
  };
}
