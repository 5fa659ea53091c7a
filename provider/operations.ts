import type { ImageTemplate } from "@azure/arm-imagebuilder";
import type * as pulumi from "@pulumi/pulumi";
import { connect, type Connection } from "./azure/client";
import { checkInputs } from "./check";
import { ARG_KEYS, type ArgKey, type ImageTemplateInputs } from "./codecs/args";
import { canonicalArgs, diffInputs, PROVIDER_ONLY } from "./diff";
import { describeFailure, isNotFound, serviceError } from "./errors";
import { argsOf, DEFAULTS_KEY, type PropertyBag } from "./inputs";
import {
  argsFromImageTemplate,
  COMPUTED_OUTPUT_KEYS,
  outputsFromImageTemplate,
  parseTemplateId,
  type TemplateAddress,
  templateId,
  toImageTemplate,
  toUpdateParameters,
} from "./mapping";
import { randomBytes } from "node:crypto";

/*
 * The I/O half of the dynamic provider. It is NOT serialized into state: the serialized provider (provider.ts)
 * `require`s this module by package name inside each method, so state holds a few hundred bytes and always runs the
 * installed version of this code.
 */

type Inputs = ImageTemplateInputs & PropertyBag;

function addressOf(bag: PropertyBag, id?: string): TemplateAddress {
  const parsed = id ? parseTemplateId(id) : undefined;
  if (parsed) return parsed;
  const { subscriptionId, resourceGroupName, imageTemplateName } = argsOf(bag);
  if (!subscriptionId || !resourceGroupName || !imageTemplateName) {
    throw new Error(
      `"${id}" is not an image template resource id (/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.VirtualMachineImages/imageTemplates/{name})`,
    );
  }
  return { subscriptionId, resourceGroupName, imageTemplateName };
}

const label = (a: TemplateAddress) =>
  `image template "${a.imageTemplateName}" (resource group "${a.resourceGroupName}", subscription ${a.subscriptionId})`;

async function getOrUndefined(c: Connection, a: TemplateAddress): Promise<ImageTemplate | undefined> {
  try {
    return await c.client.virtualMachineImageTemplates.get(a.resourceGroupName, a.imageTemplateName);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw describeFailure(`Reading ${label(a)}`, e);
  }
}

async function deleteAndWait(c: Connection, a: TemplateAddress): Promise<void> {
  try {
    await c.client.virtualMachineImageTemplates.delete(a.resourceGroupName, a.imageTemplateName, c.pollOptions);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

/** Stored outputs: the checked inputs echoed (what diff compares) plus the computed members. */
function outputs(inputs: PropertyBag, template: Partial<ImageTemplate>): PropertyBag {
  const echoed: PropertyBag = { ...argsOf(inputs) };
  if (inputs[DEFAULTS_KEY] !== undefined) echoed[DEFAULTS_KEY] = inputs[DEFAULTS_KEY];
  return { ...echoed, ...outputsFromImageTemplate(template) };
}

/**
 * Takes over an existing template: its immutable arguments must match the program (else the error lists each
 * difference); the in-place ones are reconciled with one PATCH.
 */
async function adopt(c: Connection, a: TemplateAddress, existing: ImageTemplate, inputs: Inputs) {
  if (existing.provisioningState === "Failed") {
    throw new Error(
      `Cannot adopt ${label(a)}: its provisioning failed (${existing.provisioningError?.provisioningErrorCode ?? "no code"}: ${existing.provisioningError?.message ?? "no message"}). Delete it (az image builder delete -g ${a.resourceGroupName} -n ${a.imageTemplateName}) and run pulumi up again.`,
    );
  }
  const current: PropertyBag = { ...argsFromImageTemplate(existing), subscriptionId: inputs.subscriptionId };
  const { replaces, updates } = diffInputs(current, inputs);
  if (replaces.length > 0) {
    const show = (v: unknown) => JSON.stringify(v) ?? "(unset)";
    const lines = replaces.map((k) => `  ${k}: existing ${show(current[k])}, declared ${show(inputs[k])}`);
    throw new Error(
      `Cannot adopt ${label(a)}: these arguments cannot change in place and differ from the existing template:\n${lines.join("\n")}\nMake the program match the existing template, or delete the template (or choose another imageTemplateName) to let Pulumi create it.`,
    );
  }
  return updates.length === 0 ? existing : patch(c, a, current, inputs, new Set(updates));
}

async function patch(c: Connection, a: TemplateAddress, olds: PropertyBag, news: PropertyBag, keys: Set<ArgKey>) {
  const body = toUpdateParameters(argsOf(olds), argsOf(news), keys);
  try {
    return await c.client.virtualMachineImageTemplates.update(
      a.resourceGroupName,
      a.imageTemplateName,
      body,
      c.pollOptions,
    );
  } catch (e) {
    throw describeFailure(`Updating ${label(a)} (${[...keys].join(", ")})`, e);
  }
}

export async function check(olds: PropertyBag, news: PropertyBag): Promise<pulumi.dynamic.CheckResult> {
  return checkInputs(olds ?? {}, news, {
    env: process.env,
    randomSuffix: () => randomBytes(4).toString("hex").slice(0, 7),
  });
}

export async function diff(_id: string, olds: PropertyBag, news: PropertyBag): Promise<pulumi.dynamic.DiffResult> {
  const { changes, replaces, deleteBeforeReplace } = diffInputs(olds, news);
  return { changes, replaces, deleteBeforeReplace };
}

export async function create(props: PropertyBag): Promise<pulumi.dynamic.CreateResult> {
  const inputs = props as Inputs;
  const a = addressOf(inputs);
  const c = connect(a.subscriptionId);
  const existing = await getOrUndefined(c, a);
  if (existing) {
    if (inputs.adoptExisting !== true) {
      throw new Error(
        `${label(a)} already exists. To manage it with Pulumi, set adoptExisting: true on this resource (its source, customize and other immutable arguments must match; tags, identity, vmProfile and distribute are reconciled), or choose another imageTemplateName.`,
      );
    }
    const adopted = await adopt(c, a, existing, inputs);
    return { id: adopted.id ?? templateId(a), outs: outputs(inputs, adopted) };
  }

  try {
    const created = await c.client.virtualMachineImageTemplates.createOrUpdate(
      a.resourceGroupName,
      a.imageTemplateName,
      toImageTemplate(inputs),
      c.pollOptions,
    );
    if (created.provisioningState !== "Failed")
      return { id: created.id ?? templateId(a), outs: outputs(inputs, created) };
  } catch (e) {
    // A rejected request (validation, auth, network) left nothing behind; a failed provisioning left a template.
    const left = await getOrUndefined(c, a).catch(() => undefined);
    if (left?.provisioningState !== "Failed") {
      const state = left ? ` The template exists in state ${left.provisioningState}; check it before retrying.` : "";
      throw new Error(describeFailure(`Creating ${label(a)}`, e).message + state);
    }
  }
  return failProvisioning(c, a);
}

/** A Failed template blocks its name (the service refuses a new PUT): delete it, then report the service's error. */
async function failProvisioning(c: Connection, a: TemplateAddress): Promise<never> {
  const failed = await getOrUndefined(c, a).catch(() => undefined);
  const code = failed?.provisioningError?.provisioningErrorCode ?? "(no code)";
  const message = (failed?.provisioningError?.message ?? "(no message)").replace(/\.$/, "");
  let cleanup = "The failed template was deleted";
  try {
    await deleteAndWait(c, a);
  } catch (e) {
    cleanup = `Deleting the failed template also failed (${serviceError(e).message}); delete it by hand (az image builder delete -g ${a.resourceGroupName} -n ${a.imageTemplateName})`;
  }
  throw new Error(
    `Creating ${label(a)} failed: provisioning error ${code}: ${message}. ${cleanup}; fix the cause and run pulumi up again.`,
  );
}

export async function read(id: string, props: PropertyBag): Promise<pulumi.dynamic.ReadResult> {
  const stored = props ?? {};
  const a = addressOf(stored, id);
  const template = await getOrUndefined(connect(a.subscriptionId), a);
  if (!template) return {};
  const live: PropertyBag = { ...argsFromImageTemplate(template), ...a };
  // Keep the stored spelling of every argument the service still agrees with, so refresh shows only real drift.
  const before = canonicalArgs(stored);
  const now = canonicalArgs(live);
  const inputs: PropertyBag = {};
  for (const k of ARG_KEYS) {
    const keep = PROVIDER_ONLY.has(k) || JSON.stringify(before[k]) === JSON.stringify(now[k]);
    const v = keep ? stored[k] : live[k];
    if (v !== undefined && v !== null) inputs[k] = v;
  }
  if (stored[DEFAULTS_KEY] !== undefined) inputs[DEFAULTS_KEY] = stored[DEFAULTS_KEY];
  return { id: template.id ?? id, props: outputs(inputs, template), inputs };
}

export async function update(id: string, olds: PropertyBag, news: PropertyBag): Promise<pulumi.dynamic.UpdateResult> {
  const a = addressOf(olds, id);
  const d = diffInputs(olds, news);
  if (d.replaces.length > 0) {
    throw new Error(`Internal error: update called for a change that needs replacement (${d.replaces.join(", ")})`);
  }
  if (d.updates.length === 0) {
    const computed = Object.fromEntries(
      COMPUTED_OUTPUT_KEYS.filter((k) => olds[k] !== undefined).map((k) => [k, olds[k]]),
    );
    return { outs: { ...outputs(news, {}), ...computed } };
  }
  const updated = await patch(connect(a.subscriptionId), a, olds, news, new Set(d.updates));
  return { outs: outputs(news, updated) };
}

export async function $delete(id: string, props: PropertyBag): Promise<void> {
  const a = addressOf(props ?? {}, id);
  try {
    await deleteAndWait(connect(a.subscriptionId), a);
  } catch (e) {
    throw describeFailure(`Deleting ${label(a)}`, e);
  }
}
