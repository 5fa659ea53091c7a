import type * as pulumi from "@pulumi/pulumi";
import type { Provider } from "@pulumi/pulumi/provider";
import * as imageTemplate from "../provider/image-template/operations";
import { programBag, resourceSeed } from "../provider/image-template/state";
import type { Implementation } from "../provider/implementation";
import * as trigger from "../provider/trigger/operations";
import { PACKAGE_NAME, stackConfigRequest, thisCall } from "./requests";
import { conceal, reveal } from "./values";

/*
 * The plugin face of the core: each call goes to the implementation module the dynamic resource's serialized provider
 * loads (operations.ts), with the values the dynamic provider host would give it. The only work here is what differs
 * between the two hosts: the engine hands a plugin the URN (the dynamic resource's class sends its parts as hidden
 * inputs) and wrapped secrets (the dynamic host unwraps them).
 */

export const RESOURCES: Readonly<Record<string, Implementation>> = {
  [`${PACKAGE_NAME}:index:ImageTemplate`]: imageTemplate,
  [`${PACKAGE_NAME}:index:ImageTemplateTrigger`]: trigger,
};

/** `urn:pulumi:<stack>::<project>::<parent types$><type>::<name>` (a name may itself hold "::"). */
export function parseUrn(urn: string): { stack: string; project: string; type: string; name: string } {
  const [head, project, qualifiedType, ...name] = urn.split("::");
  const stack = head?.startsWith("urn:pulumi:") ? head.slice("urn:pulumi:".length) : undefined;
  if (stack === undefined || project === undefined || qualifiedType === undefined || name.length === 0) {
    throw new Error(`not a resource URN: ${urn}`);
  }
  return { stack, project, type: qualifiedType.split("$").pop()!, name: name.join("::") };
}

function implementationOf(urn: string): Implementation {
  const { type } = parseUrn(urn);
  const implementation = RESOURCES[type];
  if (!implementation)
    throw new Error(`unknown resource type ${type}; this plugin serves ${Object.keys(RESOURCES).join(", ")}`);
  return implementation;
}

/** What the dynamic ImageTemplate class adds to its arguments (resource.ts), here known from the URN. */
function withIdentity(urn: string, news: Record<string, unknown>, secretKeys: string[]) {
  const { stack, project, name } = parseUrn(urn);
  return {
    ...news,
    ...programBag({ pulumiName: name, autonameSeed: resourceSeed(project, stack, name), urn, secretKeys }),
  };
}

/** A create or update: the partial-state error of a failed build carries properties for the wire too. */
async function writing<T>(secretKeys: string[], operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (e) {
    const partial = e as { properties?: unknown };
    if (partial?.properties !== undefined) partial.properties = conceal(partial.properties, secretKeys);
    throw e;
  }
}

/** Hands the plugin's configuration to the core (the dynamic providers' configure, stack config in memory only). */
export async function configure(variables: Record<string, string>): Promise<void> {
  const request = stackConfigRequest(variables);
  await Promise.all(Object.values(RESOURCES).map((implementation) => implementation.configure(request)));
}

export function imageBuilderProvider(schema: string, version: string): Provider {
  return {
    version,
    schema,
    async check(urn, olds, news) {
      const next = reveal(news);
      const result: pulumi.dynamic.CheckResult = await implementationOf(urn).check(
        reveal(olds).plain,
        withIdentity(urn, next.plain, next.secretKeys),
      );
      return { inputs: conceal(result.inputs, next.secretKeys), failures: result.failures };
    },
    async diff(id, urn, olds, news) {
      const result = await implementationOf(urn).diff(id, reveal(olds).plain, reveal(news).plain);
      // The server forwards only what the dynamic host also knows; the detail goes to the response through the call.
      thisCall().detailedDiff = result.detailedDiff;
      return result;
    },
    async create(urn, inputs) {
      const { plain, secretKeys } = reveal(inputs);
      const result = await writing(secretKeys, () => implementationOf(urn).create(plain, thisCall().timeout));
      return { id: result.id, outs: conceal(result.outs, secretKeys) };
    },
    async read(id, urn, props) {
      const { plain, secretKeys } = reveal(props);
      const result = await implementationOf(urn).read(id, plain);
      // No id: the resource is gone (the engine drops it from state); the server needs a string.
      if (result.id === undefined) return { id: "", props: {} };
      const inputs = result.inputs === undefined ? undefined : conceal(result.inputs, secretKeys);
      return { id: result.id, props: conceal(result.props, secretKeys), inputs };
    },
    async update(id, urn, olds, news) {
      const implementation = implementationOf(urn);
      if (!implementation.update) throw new Error(`${parseUrn(urn).type} is never updated in place`);
      const next = reveal(news);
      const update = () => implementation.update(id, reveal(olds).plain, next.plain, thisCall().timeout);
      const result = await writing(next.secretKeys, update);
      return { outs: conceal(result.outs, next.secretKeys) };
    },
    async delete(id, urn, props) {
      await implementationOf(urn).$delete(id, reveal(props).plain);
    },
  };
}
