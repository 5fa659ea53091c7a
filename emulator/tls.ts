import { promises as fs } from "node:fs";
import * as path from "node:path";
import { X509Certificate } from "node:crypto";
import { generate } from "selfsigned";

export interface TlsMaterial {
  certPath: string;
  cert: string;
  key: string;
}

/** Whether a PEM certificate stays valid for at least a day more (else it is regenerated). */
export const validForAnotherDay = (pem: string): boolean =>
  new Date(new X509Certificate(pem).validTo).getTime() > Date.now() + 24 * 3600 * 1000;

type CertificateExtensions = NonNullable<Parameters<typeof generate>[1]>["extensions"];

/**
 * A self-signed SHA-256 certificate and its key, valid from a minute ago (clock skew) for `days`: RSA-2048, or ECDSA
 * P-256 with `keyType: "ec"`.
 */
export function selfSigned(
  commonName: string,
  days: number,
  { keyType = "rsa", extensions }: { keyType?: "rsa" | "ec"; extensions?: CertificateExtensions } = {},
) {
  const notBeforeDate = new Date(Date.now() - 60_000);
  return generate([{ name: "commonName", value: commonName }], {
    keyType,
    ...(keyType === "rsa" ? { keySize: 2048 } : { curve: "P-256" as const }),
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + days * 24 * 3600 * 1000),
    ...(extensions ? { extensions } : {}),
  });
}

/**
 * Loads the HTTPS certificate from the data dir, generating it on first start. Reusing it across restarts keeps a
 * client's NODE_EXTRA_CA_CERTS valid. The certificate is a self-signed leaf, NOT a CA (basicConstraints CA:false, no
 * keyCertSign): clients trust it as an anchor for exactly itself, so its key (on disk) cannot sign a certificate for
 * management.azure.com that they would accept. Its SANs cover 127.0.0.1, ::1 and localhost.
 * An expired certificate is regenerated.
 */
export async function loadOrCreateTls(dataDir: string): Promise<TlsMaterial> {
  const certPath = path.join(dataDir, "cert.pem");
  const keyPath = path.join(dataDir, "key.pem");
  try {
    const [cert, key] = await Promise.all([fs.readFile(certPath, "utf8"), fs.readFile(keyPath, "utf8")]);
    // A CA certificate (older data dirs) is replaced: its key could sign a certificate for any host.
    if (!new X509Certificate(cert).ca && validForAnotherDay(cert)) return { certPath, cert, key };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  // ECDSA P-256: every emulator start makes this key, and an RSA-2048 one took ten times the CPU (130 ms).
  const pems = await selfSigned("127.0.0.1", 825, {
    keyType: "ec",
    extensions: [
      { name: "basicConstraints", cA: false, critical: true },
      { name: "keyUsage", digitalSignature: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 7, ip: "127.0.0.1" },
          { type: 7, ip: "::1" },
          { type: 2, value: "localhost" },
        ],
      },
    ],
  });
  // Key first, cert last: a crash in between leaves no cert, so the next start regenerates both.
  await fs.writeFile(keyPath, pems.private, { mode: 0o600 });
  await fs.writeFile(certPath, pems.cert);
  return { certPath, cert: pems.cert, key: pems.private };
}
