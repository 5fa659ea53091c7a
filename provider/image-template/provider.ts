import type * as pulumi from "@pulumi/pulumi";
import { loadImplementation } from "../load";
import type * as Operations from "./operations";

/*
 * The provider object is serialized into every resource's state (`__provider`) and evaluated by the engine's
 * dynamic-provider host. It is this module's whole `module.exports`, so when the package is installed under
 * node_modules the serializer records just `require("pulumi-azure-imagebuilder/dist/provider/image-template/provider.js")`. Otherwise
 * (a local checkout) it is copied by value, capturing nothing but the loader (load.ts): each method loads the
 * implementation with `require` (never captured). Either way state stays small, holds no credentials, and
 * refresh/destroy of old state run the installed code instead of a stale copy.
 */

const loadOperations = () =>
  loadImplementation<typeof Operations>("dist/provider/image-template/operations.js", "./image-template/operations");

const imageTemplateProvider: pulumi.dynamic.ResourceProvider = {
  // The engine sends the whole stack config (secrets decrypted) before the first call; kept in memory only.
  configure: async (req) => loadOperations().configure(req),
  check: (olds, news) => loadOperations().check(olds, news),
  diff: (id, olds, news) => loadOperations().diff(id, olds, news),
  create: (inputs) => loadOperations().create(inputs),
  read: (id, props) => loadOperations().read(id, props),
  update: (id, olds, news) => loadOperations().update(id, olds, news),
  delete: (id, props) => loadOperations().$delete(id, props),
};

export = imageTemplateProvider;
