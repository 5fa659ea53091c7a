import type { ImageTemplateUpdateParameters } from "@azure/arm-imagebuilder";
import { buildOnUpdate } from "./build-settings";
import type { ArgKey } from "./codecs/args";
import { diffInputs, type InputDiff, patchKeys } from "./diff";
import type { PropertyBag } from "../property-bag";
import { toUpdateParameters } from "./mapping";
import { stateOf } from "./state";

/** What an update of `olds` (stored outputs) to `news` (checked inputs) does; `diff` shows it, `update` carries it out. */
export interface Plan extends InputDiff {
  /** The in-place changes the service applies (PATCH); empty when only provider settings changed. */
  patchKeys: ArgKey[];
  /** The PATCH body, or undefined when nothing in the template changes in place. */
  patch?: ImageTemplateUpdateParameters;
  /** Why the update runs a build (an owed build makes a change even with equal arguments), or undefined. */
  build?: string;
}

/** Pure: the one place that decides replace vs update, the PATCH body and the build an update owes. */
export function plan(olds: PropertyBag, news: PropertyBag): Plan {
  const d = diffInputs(olds, news);
  const keys = patchKeys(d.updates);
  const build = d.replaces.length === 0 ? buildOnUpdate(olds, news, keys.length > 0) : undefined;
  const patch = keys.length > 0 ? toUpdateParameters(stateOf(olds).args, stateOf(news).args, new Set(keys)) : undefined;
  return { ...d, changes: d.changes || build !== undefined, patchKeys: keys, patch, build };
}
