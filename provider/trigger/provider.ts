import { loadingProvider } from "../load";
import type * as Operations from "./operations";

/*
 * The serialized ImageTemplateTrigger provider: like image-template/provider.ts, a few hundred bytes in state that load
 * the installed implementation (operations.ts) in each method. Every argument is create-only: its update only records
 * a new serialized provider.
 */
const imageTemplateTriggerProvider = loadingProvider<typeof Operations>(
  "dist/provider/trigger/operations.js",
  "./trigger/operations",
);

export = imageTemplateTriggerProvider;
