// Installs the workspaces' packages (the emulator's, with Azurite, and dev/'s tools: mocha, eslint, Stryker, ...)
// when any is missing. `.npmrc` keeps `npm ci`/`npm install` to the provider's own graph, because npm installs a git
// dependency's whole graph to run its `prepare`; the developer scripts (build, typecheck, lint, docs, mutation) call
// this first, so `npm ci && npm test` still sets up everything. Plain JavaScript: it runs before anything is compiled.
import { spawnSync } from "node:child_process";
import process from "node:process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const manifest = (dir) => JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));

/** A package is installed in the workspace's own node_modules or, hoisted, in the root's. */
const installed = (workspace, name) =>
  [workspace, root].some((dir) => existsSync(path.join(dir, "node_modules", name, "package.json")));

const missing = manifest(root).workspaces.flatMap((ws) => {
  const dir = path.join(root, ws);
  const { dependencies = {}, devDependencies = {} } = manifest(dir);
  return Object.keys({ ...dependencies, ...devDependencies }).filter((name) => !installed(dir, name));
});

if (missing.length > 0) {
  process.stderr.write(`Installing the workspaces' packages (missing: ${missing.join(", ")})\n`);
  const npm = spawnSync(
    "npm",
    [
      "install",
      "--workspaces=true",
      "--include-workspace-root",
      "--no-save",
      "--ignore-scripts",
      "--no-audit",
      "--no-fund",
    ],
    { cwd: root, stdio: "inherit" },
  );
  process.exit(npm.status ?? 1);
}
