/**
 * What `npm pack` would publish: the licence, the metadata a registry page and `npm install <git url>` need, and
 * every file the README links to, so its links work inside the installed package too.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { RUNTIMES } from "../../toolchain/runtimes";

const ROOT = path.resolve(__dirname, "../..");
const manifest = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));

describe("the packed package", function () {
  this.timeout(60_000);
  // --ignore-scripts: no build; dist/ is not what these tests are about.
  const [packed] = JSON.parse(
    execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8" }),
  ) as [{ files: { path: string }[] }];
  const files = new Set(packed.files.map((f) => f.path));

  it("holds the licence, and says where the source lives and what it is about", () => {
    assert.ok(files.has("LICENSE"));
    assert.match(readFileSync(path.join(ROOT, "LICENSE"), "utf8"), /Apache License\s+Version 2\.0/);
    assert.equal(manifest.license, "Apache-2.0");
    assert.match(manifest.repository.url, /^git\+https:\/\/github\.com\/[^/]+\/[^/]+\.git$/);
    assert.match(manifest.homepage, /^https:\/\/github\.com\//);
    assert.ok(manifest.keywords.includes("pulumi") && manifest.keywords.includes("azure"));
  });

  it("declares exactly the Node.js lines npm test runs: the floor's 20.19+, and each newer runtime's major", () => {
    const newer = RUNTIMES.filter((r) => r.node !== "floor").map((r) => `^${r.node.split(".")[0]}.0.0`);
    assert.equal(manifest.engines.node, ["^20.19.0", ...newer].join(" || "));
  });

  it("takes @pulumi/pulumi as a ^ range from the tested version, so a program's newer 3.x SDK is shared", () => {
    const tested = JSON.parse(
      readFileSync(path.join(ROOT, "node_modules/@pulumi/pulumi/package.json"), "utf8"),
    ).version;
    assert.equal(manifest.dependencies["@pulumi/pulumi"], `^${tested}`);
  });

  it("contains every file and folder the README links to (other links are absolute)", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1].split("#")[0]).filter(Boolean);
    const relative = links.filter((l) => !/^[a-z]+:/.test(l));
    assert.ok(
      relative.includes("docs/builds.md") && relative.includes("examples"),
      "the README links docs and examples",
    );
    for (const link of relative) {
      const target = path.posix.normalize(link).replace(/\/$/, "");
      const present = files.has(target) || [...files].some((f) => f.startsWith(`${target}/`));
      assert.ok(present, `README links ${link}, which npm pack leaves out`);
    }
  });

  it("ships every example as a complete program (a YAML one is its Pulumi.yaml)", () => {
    const examples = new Set([...files].filter((f) => f.startsWith("examples/")).map((f) => f.split("/")[1]));
    assert.ok(examples.size > 0);
    for (const example of examples) {
      const project = readFileSync(path.join(ROOT, "examples", example, "Pulumi.yaml"), "utf8");
      const yaml = /^runtime: yaml$/m.test(project);
      for (const file of yaml ? ["Pulumi.yaml"] : ["package.json", "tsconfig.json", "Pulumi.yaml", "index.ts"]) {
        assert.ok(files.has(`examples/${example}/${file}`), `examples/${example}/${file}`);
      }
    }
  });

  it("ships no file that points at one it lacks: no source maps, no sourceMappingURL (both packages)", () => {
    for (const dir of [".", "emulator"]) {
      const cwd = path.join(ROOT, dir);
      const [pack] = JSON.parse(
        execFileSync("npm", ["pack", `./${dir}`, "--dry-run", "--json", "--ignore-scripts"], {
          cwd: ROOT,
          encoding: "utf8",
        }),
      ) as [{ files: { path: string }[] }];
      const shipped = pack.files.map((f) => f.path);
      assert.ok(
        shipped.some((f) => f.endsWith(".js")),
        `${cwd} ships its build`,
      );
      assert.deepEqual(
        shipped.filter((f) => f.endsWith(".map")),
        [],
      );
      const pointing = shipped.filter(
        (f) => /\.(js|d\.ts)$/.test(f) && readFileSync(path.join(cwd, f), "utf8").includes("sourceMappingURL"),
      );
      assert.deepEqual(pointing, [], `files naming a source map the package lacks (in ${cwd})`);
    }
  });
});
