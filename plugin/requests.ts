import type * as pulumi from "@pulumi/pulumi";
import type * as proto from "@pulumi/pulumi/proto/provider_pb";
import { AsyncLocalStorage } from "node:async_hooks";
import type { OperationTimeout } from "../provider/image-template/build-settings";
import type { DetailedDiff } from "../provider/property-changes";

/** The package's name: its config namespace, the first part of its type tokens. */
export const PACKAGE_NAME = "azure-imagebuilder";

type Variables = Record<string, string>;

/** What one call of the provider server carries beyond what the server hands a Provider, and answers beyond it. */
export interface CallContext {
  /** Create and update: the engine's customTimeouts of this operation (none when the program set none). */
  timeout?: OperationTimeout;
  /** Diff: the per-property detail, set by the Provider's diff. */
  detailedDiff?: DetailedDiff;
}

const calls = new AsyncLocalStorage<CallContext>();

/** The context of the server call a Provider method serves. */
export const thisCall = (): CallContext => calls.getStore() ?? {};

type Callback = (error: unknown, response?: unknown, ...rest: unknown[]) => void;
type Handler = (this: unknown, call: { request: never }, callback: Callback) => unknown;

/** What a method of the server's implementation gets done before it reads its request and after it answers. */
interface Amendment {
  before?: (request: never, context: CallContext) => void;
  after?: (response: never, context: CallContext) => void;
}

/** A request's customTimeouts (seconds, 0 when unset) as the operation's bound, from now. */
const timeoutOf = (option: string, seconds: number): OperationTimeout | undefined =>
  seconds > 0 ? { option, seconds, since: Date.now() } : undefined;

function amendments(configure: (variables: Variables) => void, fromPulumi: NodeJS.Require): Record<string, Amendment> {
  const { Struct } = fromPulumi("google-protobuf/google/protobuf/struct_pb");
  const { PropertyDiff } = require("@pulumi/pulumi/proto/provider_pb") as typeof proto;
  return {
    configure: {
      before: (request: proto.ConfigureRequest) => configure(Object.fromEntries(request.getVariablesMap().entries())),
    },
    read: {
      before: (request: proto.ReadRequest) => {
        if (!request.hasProperties()) request.setProperties(new Struct());
      },
    },
    diff: {
      after: (response: proto.DiffResponse, { detailedDiff }: CallContext) => {
        if (detailedDiff === undefined) return;
        const map = response.getDetaileddiffMap();
        for (const [key, { kind, replace }] of Object.entries(detailedDiff)) {
          const name = `${kind.toUpperCase()}${replace ? "_REPLACE" : ""}` as keyof typeof PropertyDiff.Kind;
          map.set(key, new PropertyDiff().setKind(PropertyDiff.Kind[name]).setInputdiff(true));
        }
        response.setHasdetaileddiff(true);
      },
    },
    create: {
      before: (request: proto.CreateRequest, context: CallContext) => {
        context.timeout = timeoutOf("customTimeouts.create", request.getTimeout());
      },
    },
    update: {
      before: (request: proto.UpdateRequest, context: CallContext) => {
        context.timeout = timeoutOf("customTimeouts.update", request.getTimeout());
      },
    },
  };
}

/** `implementation` with the amended methods: each runs in its own CallContext. */
function amended(implementation: Record<string, Handler>, amendment: Record<string, Amendment>) {
  const wrapped: Record<string, Handler> = Object.create(implementation);
  for (const [method, { before, after }] of Object.entries(amendment)) {
    const handler = implementation[method];
    wrapped[method] = function (call, callback) {
      const context: CallContext = {};
      before?.(call.request, context);
      return calls.run(context, () =>
        handler.call(this, call, (error, response, ...rest) => {
          if (response !== undefined && response !== null) after?.(response as never, context);
          callback(error, response, ...rest);
        }),
      );
    };
  }
  return wrapped;
}

/**
 * Gaps of @pulumi/pulumi's provider server (3.248 through 3.276), filled around its own methods where they are
 * registered, so none of its code is copied: the implementation it hands grpc's `addService` for the provider
 * service gets each method below wrapped, seeing the call's request before the server does and its response after.
 * (A request deserializer sees a request but neither the call it becomes nor its answer.) Call before
 * `provider.main` registers the service.
 * - Configure: the server answers without reading the request and hands Provider implementations no hook for it:
 *   the request's variables (`<package>:config:<key>`, strings: the stack config's namespace or an explicit
 *   provider's arguments) go to `configure`.
 * - Read from `pulumi import` carries no properties (there is no state yet), where the server expects a struct: it
 *   gets an empty one, as the dynamic provider host's Read gives.
 * - Diff: the server drops all but changes, replaces and deleteBeforeReplace of the Provider's result: the detailed
 *   diff the Provider's diff leaves in the CallContext (`thisCall()`) is added to the response.
 * - Create and update: the server reads no timeout; the request's customTimeouts wait in the CallContext.
 */
export function fillServerGaps(configure: (variables: Variables) => void): void {
  const { ResourceProviderService } = require("@pulumi/pulumi/proto/provider_grpc_pb");
  // The gRPC server and protobuf runtime of the SDK's own server (dependencies of @pulumi/pulumi, not of this package).
  const fromPulumi = require("node:module").createRequire(require.resolve("@pulumi/pulumi")) as NodeJS.Require;
  const { Server } = fromPulumi("@grpc/grpc-js");
  const addService = Server.prototype.addService;
  const amendment = amendments(configure, fromPulumi);
  Server.prototype.addService = function (service: unknown, implementation: Record<string, Handler>) {
    const served = service === ResourceProviderService ? amended(implementation, amendment) : implementation;
    return addService.call(this, service, served);
  };
}

/**
 * The configure request the core's dynamic providers take (`operations.configure`), from the plugin's variables: where
 * the dynamic provider reads the stack's `azure-native:<key>`, the plugin's own `azure-imagebuilder:<key>` stands.
 */
export function stackConfigRequest(variables: Variables): pulumi.dynamic.ConfigureRequest {
  const get = (key: string): string | undefined => {
    const [namespace, name] = key.split(":");
    return namespace === "azure-native" && name ? variables[`${PACKAGE_NAME}:config:${name}`] : undefined;
  };
  const require = (key: string): string => {
    const value = get(key);
    if (value === undefined) throw new Error(`missing required configuration ${key}`);
    return value;
  };
  return { config: { get, require } };
}
