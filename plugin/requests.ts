import type * as pulumi from "@pulumi/pulumi";

/** The package's name: its config namespace, the first part of its type tokens. */
export const PACKAGE_NAME = "azure-imagebuilder";

type Variables = Record<string, string>;

interface Message {
  getVariablesMap(): { entries(): Iterable<[string, string]> };
  hasProperties(): boolean;
  setProperties(value: unknown): void;
}

interface MethodDefinition {
  requestDeserialize: (buffer: Buffer) => Message;
}

/** Lets `adjust` see (and complete) each request of a method before @pulumi/pulumi's provider server reads it. */
function beforeServer(method: MethodDefinition, adjust: (request: Message) => void): void {
  const deserialize = method.requestDeserialize;
  method.requestDeserialize = (buffer) => {
    const request = deserialize(buffer);
    adjust(request);
    return request;
  };
}

/**
 * Two gaps of @pulumi/pulumi's provider server (3.248 through 3.276), filled where every request passes before the
 * server sees it: the deserializers of the service definition it registers (`@pulumi/pulumi/proto/provider_grpc_pb`),
 * so none of its code is copied. Call before `provider.main` registers the service.
 * - Configure: the server answers without reading the request and hands Provider implementations no hook for it:
 *   the request's variables (`<package>:config:<key>`, strings: the stack config's namespace or an explicit
 *   provider's arguments) go to `configure`.
 * - Read from `pulumi import` carries no properties (there is no state yet), where the server expects a struct: it
 *   gets an empty one, as the dynamic provider host's Read gives.
 */
export function fillServerGaps(configure: (variables: Variables) => void): void {
  const { ResourceProviderService } = require("@pulumi/pulumi/proto/provider_grpc_pb");
  // The protobuf runtime of the generated messages (a dependency of @pulumi/pulumi, not of this package).
  const fromPulumi = require("node:module").createRequire(require.resolve("@pulumi/pulumi")) as NodeJS.Require;
  const { Struct } = fromPulumi("google-protobuf/google/protobuf/struct_pb");
  beforeServer(ResourceProviderService.configure, (request) =>
    configure(Object.fromEntries(request.getVariablesMap().entries())),
  );
  beforeServer(ResourceProviderService.read, (request) => {
    if (!request.hasProperties()) request.setProperties(new Struct());
  });
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
