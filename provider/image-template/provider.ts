import { loadingProvider } from "../load";
import type * as Operations from "./operations";

/*
 * The provider object is serialized into every resource's state (`__provider`) and evaluated by the engine's
 * dynamic-provider host. It is this module's whole `module.exports`, so when the package is installed under
 * node_modules the serializer records just
 * `require("pulumi-azure-imagebuilder/dist/provider/image-template/provider.js")`. Otherwise (a local checkout) it is
 * copied by value, capturing nothing but the loader (load.ts): each method loads the implementation with `require`
 * (never captured).
 */
const imageTemplateProvider = loadingProvider<typeof Operations>(
  "dist/provider/image-template/operations.js",
  "./image-template/operations",
);

export = imageTemplateProvider;
