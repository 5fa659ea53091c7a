/**
 * Hover docs: every argument and output of ImageTemplate and ImageTemplateTrigger carries a TSDoc comment in the
 * published declarations (dist/provider/*.d.ts, built by `npm test` before the tests), read with the TypeScript
 * compiler the way an editor reads them.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { READ_ONLY_PROPERTIES } from "../../provider/image-template/read-only";
import { MEMBERS } from "../../provider/image-template/properties";
import { NESTED_ARGUMENTS } from "../../toolchain/docs";

const DIST = path.resolve(__dirname, "../../dist/provider");
const ENTRY = path.join(DIST, "index.d.ts");

describe("hover docs in the published .d.ts", () => {
  assert.ok(existsSync(ENTRY), `${ENTRY} is missing: run \`npm run build\` first (npm test does)`);
  const program = ts.createProgram([ENTRY], { strict: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(ENTRY)!)!);
  const symbol = (name: string) => {
    const s = exported.find((e) => e.name === name);
    assert.ok(s, `${name} is not exported`);
    return s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
  };
  /** Properties declared by this package (not inherited from Pulumi's CustomResource) that have no doc comment. */
  const undocumented = (type: ts.Type) =>
    type
      .getProperties()
      .filter((p) => (p.declarations ?? []).some((d) => d.getSourceFile().fileName.startsWith(DIST)))
      .filter((p) => ts.displayPartsToString(p.getDocumentationComment(checker)).trim() === "")
      .map((p) => p.name);
  const propertiesOf = (type: ts.Type) => type.getProperties().map((p) => p.name);

  /**
   * The doc an editor shows for each member below `path` (a property-table path such as "distribute[].versioning"),
   * following union members, list items and this package's interfaces (not Promise or Output).
   */
  const nestedDocs = (type: ts.Type, path: string, docs: Map<string, Set<string>>): void => {
    if (type.isUnion()) return type.types.forEach((member) => nestedDocs(member, path, docs));
    if (checker.isArrayType(type)) {
      return nestedDocs(checker.getTypeArguments(type as ts.TypeReference)[0], `${path}[]`, docs);
    }
    const ours = (type.getSymbol()?.declarations ?? []).some((d) => d.getSourceFile().fileName.startsWith(DIST));
    if (!ours) return;
    for (const p of type.getProperties()) {
      const at = `${path}.${p.name}`;
      docs.set(at, (docs.get(at) ?? new Set()).add(ts.displayPartsToString(p.getDocumentationComment(checker))));
      nestedDocs(checker.getTypeOfSymbolAtLocation(p, p.valueDeclaration!), at, docs);
    }
  };

  it(`every nested member of ${NESTED_ARGUMENTS.join(", ")} shows the property table's doc`, () => {
    const args = checker.getDeclaredTypeOfSymbol(symbol("ImageTemplateArgs"));
    const docs = new Map<string, Set<string>>();
    for (const key of NESTED_ARGUMENTS) {
      const member = args.getProperty(key)!;
      nestedDocs(checker.getTypeOfSymbolAtLocation(member, member.valueDeclaration!), key, docs);
    }
    const expected = Object.keys(MEMBERS).filter((path) => NESTED_ARGUMENTS.includes(/^\w+/.exec(path)![0] as never));
    assert.ok(expected.length > 40, `${expected.length} members`);
    assert.deepEqual([...docs.keys()].sort(), expected.sort());
    for (const path of expected) assert.deepEqual([...docs.get(path)!], [MEMBERS[path].doc], path);
  });

  for (const [args, resource] of [
    ["ImageTemplateArgs", "ImageTemplate"],
    ["ImageTemplateTriggerArgs", "ImageTemplateTrigger"],
  ]) {
    it(`every ${args} member is documented`, () => {
      const type = checker.getDeclaredTypeOfSymbol(symbol(args));
      assert.ok(propertiesOf(type).length > 4);
      assert.deepEqual(undocumented(type), []);
    });

    it(`every ${resource} output is documented, and it echoes every argument`, () => {
      const type = checker.getDeclaredTypeOfSymbol(symbol(resource));
      assert.deepEqual(undocumented(type), []);
      const outputs = new Set(propertiesOf(type));
      // Read-only members a pasted template may carry are accepted and dropped by check: no output echoes them.
      const missing = propertiesOf(checker.getDeclaredTypeOfSymbol(symbol(args))).filter(
        (a) => !outputs.has(a) && !(READ_ONLY_PROPERTIES as readonly string[]).includes(a),
      );
      assert.deepEqual(missing, []);
    });
  }
});
