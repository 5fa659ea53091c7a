import * as https from "node:https";
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  AccountSASPermissions,
  generateAccountSASQueryParameters,
  SASProtocol,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import type { TokenAuthority } from "./auth";
import { storageErrors, type StorageError } from "./errors";
import { applyConnectionLimits, connectionOptions, type ConnectionLimits } from "./limits";
import type { AccountPool, StorageAccount } from "./storage-accounts";

/*
 * The blob endpoint clients see (`primaryEndpoints.blob`): it accepts a request only with a bearer token the emulator
 * signed for its tenant and a storage audience, then forwards it to Azurite (started by the first request it
 * forwards), which it reaches with an account SAS made with the account's key (Azurite itself takes no bearer tokens:
 * its OAuth mode does not check signatures).
 * Refusals are Azure Storage's XML errors (errors.ts).
 */

/** SAS query parameters a client might send: dropped, so only the gateway's own SAS reaches Azurite. */
const SAS_PARAMETERS = new Set(["sv", "ss", "srt", "sp", "se", "st", "spr", "sig", "sip", "ses", "sr", "si", "skoid"]);
/** A gateway SAS is renewed well before it expires. */
const SAS_LIFETIME_MS = 2 * 3600 * 1000;

function storageError(res: ServerResponse, method: string, e: StorageError): void {
  const requestId = randomUUID();
  const body =
    `<?xml version="1.0" encoding="utf-8"?><Error><Code>${e.code}</Code><Message>${e.message}\n` +
    `RequestId:${requestId}\nTime:${new Date().toISOString()}</Message></Error>`;
  res.writeHead(e.status, {
    "Content-Type": "application/xml",
    "x-ms-error-code": e.code,
    "x-ms-request-id": requestId,
    "Content-Length": method === "HEAD" ? 0 : Buffer.byteLength(body),
  });
  res.end(method === "HEAD" ? undefined : body);
}

export class BlobGateway {
  private readonly sas = new Map<string, { query: string; renewAt: number }>();
  private readonly server: https.Server;

  constructor(
    private readonly auth: TokenAuthority,
    private readonly accounts: AccountPool,
    /** Azurite's URL, starting it if need be. */
    private readonly upstream: () => Promise<string>,
    private readonly tls: { cert: string; key: string },
    limits: ConnectionLimits,
  ) {
    const options = { cert: tls.cert, key: tls.key, noDelay: true, ...connectionOptions(limits) };
    this.server = https.createServer(options, (req, res) => {
      this.handle(req, res).catch(() => res.destroy());
    });
    applyConnectionLimits(this.server, limits);
  }

  /** Listens on a free loopback port; resolves to the URL clients use. */
  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => {
        this.server.off("error", reject);
        const address = this.server.address() as { port: number };
        resolve(`https://127.0.0.1:${address.port}`);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "https://gateway");
    const accountName = url.pathname.split("/")[1] ?? "";
    const account = this.accounts.named(accountName);
    if (!account) return storageError(res, method, storageErrors.accountNotFound());
    const authorization = req.headers.authorization;
    if (!authorization) return storageError(res, method, storageErrors.noAuthentication());
    const refusal = await this.auth.storageTokenRefusal(authorization);
    if (refusal !== undefined) return storageError(res, method, storageErrors.authenticationFailed(refusal));
    let upstream: URL;
    try {
      upstream = new URL(await this.upstream());
    } catch {
      return storageError(res, method, storageErrors.internal());
    }
    if (res.destroyed) return;
    for (const name of [...url.searchParams.keys()]) if (SAS_PARAMETERS.has(name)) url.searchParams.delete(name);
    const query = [url.searchParams.toString(), this.sasFor(account)].filter(Boolean).join("&");
    const headers = { ...req.headers, host: upstream.host };
    delete headers.authorization;
    const forward = https.request(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        method,
        path: `${url.pathname}?${query}`,
        headers,
        ca: this.tls.cert,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", () => res.destroy());
    res.on("close", () => forward.destroy());
    req.pipe(forward);
  }

  /** An account SAS for everything on the account's blob service, made with its key. */
  private sasFor(account: StorageAccount): string {
    const now = Date.now();
    const cached = this.sas.get(account.name);
    if (cached && cached.renewAt > now) return cached.query;
    const query = generateAccountSASQueryParameters(
      {
        permissions: AccountSASPermissions.parse("rwdlacup"),
        services: "b",
        resourceTypes: "sco",
        protocol: SASProtocol.Https,
        startsOn: new Date(now - 5 * 60_000),
        expiresOn: new Date(now + SAS_LIFETIME_MS),
      },
      new StorageSharedKeyCredential(account.name, account.key),
    ).toString();
    this.sas.set(account.name, { query, renewAt: now + SAS_LIFETIME_MS / 2 });
    return query;
  }
}
