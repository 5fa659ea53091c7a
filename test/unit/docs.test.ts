import type { ReadOnlyMembers } from "../../provider/image-template/read-only";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import type { ImageTemplateInputs } from "../../provider/image-template/codecs/args";
import type { DeepInput, ImageTemplateArgs } from "../../provider/image-template/args";
import { ARGUMENTS, BUILD_OUTPUTS, OUTPUTS } from "../../provider/image-template/properties";
import { packageRoot } from "../../provider/load";
import { generated, REGIONS } from "../../toolchain/docs";
import { SCHEMA_FILE } from "../../toolchain/schema";

/** Member name -> its TSDoc text, for the members of `container` (an interface or class) in a TypeScript file. */
function tsdocOf(file: string, container: string): Map<string, string> {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const docs = new Map<string, string>();
  const visit = (node: ts.Node) => {
    if ((ts.isInterfaceDeclaration(node) || ts.isClassDeclaration(node)) && node.name?.text === container) {
      for (const member of node.members) {
        const name = member.name && ts.isIdentifier(member.name) ? member.name.text : undefined;
        const doc = ts.getJSDocCommentsAndTags(member).find(ts.isJSDoc);
        if (name && doc) docs.set(name, ts.getTextOfJSDocComment(doc.comment) ?? "");
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return docs;
}

describe("docs generated from the property table (npm run docs)", () => {
  it("README, ImageTemplateArgs, ImageTemplate's outputs and the plugin's schema are what npm run docs writes", async () => {
    const files = await generated();
    assert.deepEqual(
      [...files.keys()].map((f) => path.relative(packageRoot(), f)).sort(),
      [...new Set([...REGIONS.map((r) => r.file), SCHEMA_FILE])].sort(),
    );
    for (const [file, text] of files) {
      assert.ok(
        readFileSync(file, "utf8") === text,
        `${path.relative(packageRoot(), file)} is out of date: npm run docs`,
      );
    }
  });

  it("each argument's TSDoc is its doc in the table", () => {
    const docs = tsdocOf(path.join(packageRoot(), "provider/image-template/args.ts"), "ImageTemplateArgs");
    assert.deepEqual([...docs.keys()].sort(), Object.keys(ARGUMENTS).sort());
    for (const [key, entry] of Object.entries(ARGUMENTS)) assert.equal(docs.get(key), entry.doc, key);
  });

  it("ImageTemplate declares every argument, output and build output with the table's doc", () => {
    const docs = tsdocOf(path.join(packageRoot(), "provider/image-template/resource.ts"), "ImageTemplate");
    const expected = { ...ARGUMENTS, ...OUTPUTS, ...BUILD_OUTPUTS };
    for (const [key, entry] of Object.entries(expected)) assert.equal(docs.get(key), entry.doc, key);
  });

  it("the README's environment table has every AZURE_IMAGEBUILDER_* variable provider/ reads, and AZURE_LOG_LEVEL", () => {
    const root = packageRoot();
    const sources = (readdirSync(path.join(root, "provider"), { recursive: true }) as string[])
      .filter((f) => f.endsWith(".ts") && f !== path.join("azure", "variables.ts"))
      .map((f) => readFileSync(path.join(root, "provider", f), "utf8"));
    const read = new Set(sources.flatMap((text) => text.match(/\bAZURE_IMAGEBUILDER_[A-Z0-9_]+/g) ?? []));
    assert.ok(read.size >= 4, [...read].join());
    const readme = readFileSync(path.join(root, "README.md"), "utf8");
    const table = readme.slice(readme.indexOf("BEGIN environment table"), readme.indexOf("END environment table"));
    const listed = new Set([...table.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
    for (const name of [...read, "AZURE_LOG_LEVEL"])
      assert.ok(listed.has(name), `${name} is not in the README's table`);
    // And no row for a variable nothing reads any more (AZURE_LOG_LEVEL is @azure/logger's).
    for (const name of listed) assert.ok(read.has(name) || name === "AZURE_LOG_LEVEL", `${name} is read by nothing`);
  });

  it("the README's tables give each argument's change as the table says", () => {
    const readme = readFileSync(path.join(packageRoot(), "README.md"), "utf8");
    for (const [key, a] of Object.entries(ARGUMENTS)) {
      const row = readme.split("\n").find((l) => l.startsWith("| `") && l.includes(`| \`${key}\` |`));
      assert.ok(row, `${key} has no row`);
      const said = a.change === "update" ? /update in place/ : a.change === "replace" ? /replace/ : /no change|never/;
      assert.match(row, said, key);
    }
  });
});

// The generated interface has exactly the codec's members, optionality and types (plus the read-only members a
// pasted template may carry, which check drops).
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
// (location is optional: check takes it from azure-native:location when it is left out)
type Flat<T> = { [K in keyof T]: T[K] };
type FromCodec = { [K in keyof ImageTemplateInputs]: DeepInput<ImageTemplateInputs[K]> };
const fromCodec: Same<
  Flat<Omit<ImageTemplateArgs, keyof ReadOnlyMembers>>,
  Flat<Omit<FromCodec, "location"> & Partial<Pick<FromCodec, "location">>>
> = true;
void fromCodec;
