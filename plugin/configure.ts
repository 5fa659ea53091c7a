import type * as pulumi from "@pulumi/pulumi";

/** The package's name: its config namespace, the first part of its type tokens. */
export const PACKAGE_NAME = "azure-imagebuilder";

type Variables = Record<string, string>;

/**
 * @pulumi/pulumi's provider server (3.248 through 3.276) answers Configure without reading the request, and hands
 * Provider implementations no hook for it. Its request still passes through the deserializer of the service
 * definition the server registers (`@pulumi/pulumi/proto/provider_grpc_pb`): wrapping that deserializer hands the
 * request's variables (`<package>:config:<key>`, strings: the stack config's namespace or an explicit provider's
 * arguments) to `observe` before the server's answer. Called before `provider.main` registers the service.
 */
export function onConfigure(observe: (variables: Variables) => void): void {
  const { ResourceProviderService } = require("@pulumi/pulumi/proto/provider_grpc_pb");
  const method = ResourceProviderService.configure;
  const deserialize = method.requestDeserialize as (buffer: Buffer) => ConfigureRequestMessage;
  method.requestDeserialize = (buffer: Buffer) => {
    const request = deserialize(buffer);
    observe(Object.fromEntries(request.getVariablesMap().entries()));
    return request;
  };
}

interface ConfigureRequestMessage {
  getVariablesMap(): { entries(): Iterable<[string, string]> };
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
