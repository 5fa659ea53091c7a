import type * as pulumi from "@pulumi/pulumi";
import type * as Operations from "./operations";

/*
 * The provider object is serialized into every resource's state (`__provider`) and evaluated by the engine's
 * dynamic-provider host. It is this module's whole `module.exports`, so when the package is installed under
 * node_modules the serializer records just `require("pulumi-azure-imagebuilder/dist/provider/provider.js")`. Otherwise
 * (a local checkout) it is copied by value, capturing nothing but `loadOperations`: each method loads the
 * implementation with `require` (never captured). Either way state stays small, holds no credentials, and
 * refresh/destroy of old state run the installed code instead of a stale copy.
 */

// Where the implementation lives: the installed package (a Pulumi project depending on it), this repository's build
// (the host resolves relative paths from the project directory), or next to this file (in-process use and tests).
function loadOperations(): typeof Operations {
  const candidates = [
    "pulumi-azure-imagebuilder/dist/provider/operations.js",
    "./dist/provider/operations.js",
    "./operations",
  ];
  for (const request of candidates) {
    try {
      return require(request);
    } catch (e) {
      const missing = (e as { code?: string }).code === "MODULE_NOT_FOUND" && String(e).includes(`'${request}'`);
      if (!missing) throw e;
    }
  }
  throw new Error(
    `Cannot load the ImageTemplate provider from ${process.cwd()}: add pulumi-azure-imagebuilder to this Pulumi project's dependencies (npm install pulumi-azure-imagebuilder).`,
  );
}

const imageTemplateProvider: pulumi.dynamic.ResourceProvider = {
  check: (olds, news) => loadOperations().check(olds, news),
  diff: (id, olds, news) => loadOperations().diff(id, olds, news),
  create: (inputs) => loadOperations().create(inputs),
  read: (id, props) => loadOperations().read(id, props),
  update: (id, olds, news) => loadOperations().update(id, olds, news),
  delete: (id, props) => loadOperations().$delete(id, props),
};

export = imageTemplateProvider;
