import type { OperationTimeout } from "./image-template/build-settings";
import type { LoadedMethods, Method, Result } from "./load";
import type { DetailedDiffResult } from "./property-changes";

/**
 * What an implementation module (image-template/operations.ts, trigger/operations.ts) exports, the core both faces
 * call: the dynamic resource's serialized provider through `LoadedMethods`, the plugin all of it. The plugin also reads
 * the diff's per-property detail and hands create and update the engine's customTimeouts, which the dynamic provider
 * host has no place for.
 */
export interface Implementation extends LoadedMethods {
  diff: (...args: Parameters<Method<"diff">>) => Promise<DetailedDiffResult>;
  create: (...args: [...Parameters<Method<"create">>, OperationTimeout?]) => Result<"create">;
  update: (...args: [...Parameters<Method<"update">>, OperationTimeout?]) => Result<"update">;
}
