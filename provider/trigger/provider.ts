import type * as pulumi from "@pulumi/pulumi";
import { loadImplementation } from "../load";
import type * as Operations from "./operations";

/*
 * The serialized ImageTemplateTrigger provider: like image-template/provider.ts, a few hundred bytes in state that load
 * the installed implementation (operations.ts) in each method. No update: every argument is create-only.
 */
const load = () => loadImplementation<typeof Operations>("dist/provider/trigger/operations.js", "./trigger/operations");

const imageTemplateTriggerProvider: pulumi.dynamic.ResourceProvider = {
  // The engine sends the whole stack config (secrets decrypted) before the first call; kept in memory only.
  configure: async (req) => load().configure(req),
  check: (olds, news) => load().check(olds, news),
  diff: (id, olds, news) => load().diff(id, olds, news),
  create: (inputs) => load().create(inputs),
  read: (id, props) => load().read(id, props),
  delete: (id, props) => load().$delete(id, props),
};

export = imageTemplateTriggerProvider;
