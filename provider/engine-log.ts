import type * as grpc from "@grpc/grpc-js";

/*
 * Lines about one resource, sent to the Pulumi engine with the resource's URN: an ephemeral one becomes that row's
 * status column (replaced by the next), a lasting one a diagnostic filed under that resource. The dynamic provider host
 * is started with the engine's address as its first argument but gives the provider no engine client (notes: "Status
 * on the resource's own row"), so this module opens one channel per provider process and reuses it. Where there is no
 * engine (in-process use, a host started otherwise) or no URN this run's program vouched for, or once a call fails,
 * lines go to stdout as `[name] text`: the engine shows a dynamic provider's stdout under the stack.
 */

export type Severity = "info" | "warning";

/** The sink one operation on one resource writes to. */
export interface ResourceLog {
  /** The row's status column (replaced by the next status); nothing without the engine. */
  status(text: string): void;
  /** A diagnostic of the resource (stdout without the engine). */
  diagnostic(text: string, severity?: Severity): void;
  /** Resolves once every line given so far has reached the engine (so none arrives after the step ends). */
  flush(): Promise<void>;
}

interface EngineChannel {
  send(urn: string, text: string, ephemeral: boolean, severity: Severity): Promise<boolean>;
}

/**
 * The engine's address when this process is the dynamic provider host (`node <host>/index.js <address>`) or this
 * package's plugin (`node <package>/dist/plugin/main.js <address>`, which the engine hands the URN itself).
 */
export function engineAddress(argv: readonly string[] = process.argv): string | undefined {
  const [, script, address] = argv;
  const isHost =
    script !== undefined && /[\\/](dynamic-provider([\\/]index\.js)?|dist[\\/]plugin[\\/]main\.js)$/.test(script);
  return isHost && address !== undefined && /^[\w.[\]:-]+:\d+$/.test(address) ? address : undefined;
}

/** A gRPC client of the engine's Log method; calls are chained so the engine receives lines in order. */
function openChannel(address: string): EngineChannel {
  // The generated client's own grpc-js (a second copy would not accept the other's credentials).
  const fromPulumi = require("node:module").createRequire(require.resolve("@pulumi/pulumi")) as NodeJS.Require;
  const grpcJs = fromPulumi("@grpc/grpc-js") as typeof grpc;
  const { EngineClient } = require("@pulumi/pulumi/proto/engine_grpc_pb");
  const { LogRequest, LogSeverity } = require("@pulumi/pulumi/proto/engine_pb");
  const client = new EngineClient(address, grpcJs.credentials.createInsecure());
  let last: Promise<unknown> = Promise.resolve();
  return {
    send(urn, text, ephemeral, severity) {
      const request = new LogRequest();
      request.setSeverity(severity === "warning" ? LogSeverity.WARNING : LogSeverity.INFO);
      request.setMessage(text);
      request.setUrn(urn);
      request.setEphemeral(ephemeral);
      const sent = last.then(
        () => new Promise<boolean>((resolve) => client.log(request, (error: unknown) => resolve(!error))),
      );
      last = sent;
      return sent;
    },
  };
}

let channel: EngineChannel | undefined | null;

/** This process's one channel to the engine, or null where there is none (or it failed). */
function engine(): EngineChannel | null {
  if (channel === undefined) {
    const address = engineAddress();
    channel = address ? openChannel(address) : null;
  }
  return channel;
}

/** Lines of the resource `name` to the engine under `urn` (undefined: stdout only), or to `print`. */
export function resourceLog(name: string, urn: string | undefined, print: (line: string) => void = console.log) {
  const toStdout = (text: string) => print(`[${name}] ${text}`);
  let pending: Promise<unknown> = Promise.resolve();
  const send = (text: string, ephemeral: boolean, severity: Severity) => {
    const target = urn ? engine() : null;
    if (!target) {
      if (!ephemeral) toStdout(text);
      return;
    }
    pending = target.send(urn!, text, ephemeral, severity).then((ok) => {
      if (ok) return;
      // The engine went away (or refused): this line and the next ones go to stdout.
      channel = null;
      if (!ephemeral) toStdout(text);
    });
  };
  const log: ResourceLog = {
    status: (text) => send(text, true, "info"),
    diagnostic: (text, severity = "info") => send(text, false, severity),
    flush: () => pending.then(() => undefined),
  };
  return log;
}

/** True when lines of a resource with a URN reach its row (the stdout fallback otherwise). */
export const reachesEngine = (): boolean => engine() !== null;
