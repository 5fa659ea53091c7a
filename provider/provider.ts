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

// Where the implementation lives: the installed package; else this repository's build, found by walking up from the
// project directory (the host evaluates this code with no file of its own, so neither self-reference through
// package.json nor relative paths work there); else next to this file (in-process use of an unbuilt checkout).
function loadOperations(): typeof Operations {
  const PACKAGE = "pulumi-azure-imagebuilder";
  const ENTRY = "dist/provider/operations.js";
  const fs: typeof import("node:fs") = require("node:fs");
  const path: typeof import("node:path") = require("node:path");
  const attempt = (request: string): typeof Operations | undefined => {
    try {
      return require(request);
    } catch (e) {
      const missing = (e as { code?: string }).code === "MODULE_NOT_FOUND" && String(e).includes(`'${request}'`);
      if (!missing) throw e;
      return undefined;
    }
  };
  const installed = attempt(`${PACKAGE}/${ENTRY}`);
  if (installed) return installed;
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, "utf8")).name === PACKAGE) {
      const checkout = attempt(path.join(dir, ENTRY));
      if (checkout) return checkout;
    }
    if (path.dirname(dir) === dir) break;
  }
  const local = attempt("./operations");
  if (local) return local;
  throw new Error(
    `Cannot load the ImageTemplate provider from ${process.cwd()}: add ${PACKAGE} to this Pulumi project's dependencies (npm install ${PACKAGE}).`,
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
