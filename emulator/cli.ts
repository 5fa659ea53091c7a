#!/usr/bin/env node
import { parseArgs } from "node:util";
import { startEmulator, DEFAULT_TIMING, type EmulatorOptions } from "./index";
import { LOG_SHAPES, type LogShape } from "./packer-log";

const HELP = `imagebuilder-emulator: a local HTTPS emulator of the Azure VM Image Builder ARM API (2025-10-01)
and of the Entra ID token endpoint.

Usage: imagebuilder-emulator [options]

Options:
  --port <n>                   TCP port to listen on; 0 picks a free port (default 0)
  --host <addr>                Interface to listen on (default 127.0.0.1)
  --data-dir <dir>             State, TLS certificate and credentials; reused across restarts
                               (default: a fresh temporary directory)
  --lro-duration-ms <n>        How long create/update/delete operations stay InProgress (default ${DEFAULT_TIMING.lroDurationMs})
  --build-duration-ms <n>      How long a build runs from Queued to Succeeded (default ${DEFAULT_TIMING.buildDurationMs})
  --retry-after-seconds <n>    Retry-After sent with long-running operations; 0: none, as the service (default ${DEFAULT_TIMING.retryAfterSeconds})
  --sync-patch                 PATCH answers 200 with the template at once, as API 2022-07-01 did (default: 202 + LRO)
  --async-trigger-delete       A trigger's DELETE answers 202 + LRO, as recorded in 2024 (default: 204, 2023/2025)
  --token-lifetime-seconds <n> Lifetime of issued access and OIDC tokens (default 3600)
  --page-size <n>              Items per list page before a nextLink (default 50)
  --poll-interval-ms <n>       AZURE_IMAGEBUILDER_POLL_INTERVAL_MS in the printed env (default 50)
  --log-shape <recent|older>   Shape of build logs: "PACKER {date} ui: …" (recent, default) or "PACKER OUT/ERR …"
  --quiet                      No log output on stderr
  -h, --help                   Show this help

Build logs live in a blob service (Azurite) the emulator starts when a staging account is first used and stops
with itself, over HTTPS with the same certificate, accepting the emulator's bearer tokens for https://storage.azure.com.

When ready, prints one JSON line on stdout:
  {"url","blobUrl","caCertPath","tenantId","clientId","clientSecret","subscriptionId","adminToken",
   "clientCertificatePath","oidcRequestUrl","oidcRequestToken","identityEndpoint","identityHeader","env":{...}}
Apply "env" to a process (e.g. the pulumi CLI) to point the provider and the Azure SDK at the emulator.
Logs go to stderr. SIGINT/SIGTERM stop the emulator cleanly. Admin API and fault injection: see README.md.`;

const INTEGER_FLAGS = {
  port: "port",
  "lro-duration-ms": "lroDurationMs",
  "build-duration-ms": "buildDurationMs",
  "retry-after-seconds": "retryAfterSeconds",
  "token-lifetime-seconds": "tokenLifetimeSeconds",
  "page-size": "pageSize",
  "poll-interval-ms": "pollIntervalMs",
} as const satisfies Record<string, keyof EmulatorOptions>;

function parseOptions(argv: string[]): EmulatorOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      ...Object.fromEntries(Object.keys(INTEGER_FLAGS).map((k) => [k, { type: "string" as const }])),
      host: { type: "string" },
      "data-dir": { type: "string" },
      "log-shape": { type: "string" },
      quiet: { type: "boolean" },
      "sync-patch": { type: "boolean" },
      "async-trigger-delete": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return "help";
  const options: EmulatorOptions = { quiet: values.quiet === true };
  if (values["sync-patch"]) options.syncPatch = true;
  if (values["async-trigger-delete"]) options.syncTriggerDelete = false;
  if (typeof values.host === "string") options.host = values.host;
  if (typeof values["data-dir"] === "string") options.dataDir = values["data-dir"];
  const shape = values["log-shape"];
  if (typeof shape === "string") {
    if (!LOG_SHAPES.includes(shape as LogShape)) throw new Error(`--log-shape must be recent or older, got '${shape}'`);
    options.logShape = shape as LogShape;
  }
  for (const [flag, key] of Object.entries(INTEGER_FLAGS)) {
    const raw = (values as Record<string, unknown>)[flag];
    if (typeof raw !== "string") continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${flag} must be a non-negative integer, got '${raw}'`);
    options[key] = n;
  }
  return options;
}

async function main(): Promise<void> {
  let options: EmulatorOptions | "help";
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${HELP}\n`);
    process.exitCode = 2;
    return;
  }
  if (options === "help") {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const emu = await startEmulator(options);
  const { url, blobUrl, caCertPath, tenantId, clientId, clientSecret, subscriptionId, adminToken, env } = emu;
  const { clientCertificatePath, oidcRequestUrl, oidcRequestToken, identityEndpoint, identityHeader } = emu;
  const ready = { url, blobUrl, caCertPath, tenantId, clientId, clientSecret, subscriptionId, adminToken };
  const signIn = { clientCertificatePath, oidcRequestUrl, oidcRequestToken, identityEndpoint, identityHeader };
  process.stdout.write(`${JSON.stringify({ ...ready, ...signIn, env })}\n`);
  const shutdown = () => {
    emu.admin.close();
    emu.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`error while stopping: ${String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

main().catch((e: unknown) => {
  process.stderr.write(`imagebuilder-emulator failed to start: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
