import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { ARG_KEYS } from "../../provider/image-template/codecs/args";
import { OUTPUT_KEYS } from "../../provider/image-template/properties";

const ROOT = path.resolve(__dirname, "../..");
const SEED = path.join(ROOT, "reference/az-imagebuilder/Update-AzImageBuilderVirtualMachineImageTemplate.syntax.md");
const README = path.join(ROOT, "README.md");
const SECTION = "## Every cmdlet parameter, and where it went";

/** Parameter names in the seed's `### UpdateExpanded` syntax block, e.g. ["ImageTemplateName", ..., "WhatIf"]. */
function updateExpandedParameters(markdown: string): string[] {
  const block = /### UpdateExpanded[^\n]*\n```\n([\s\S]*?)```/.exec(markdown);
  assert.ok(block, "UpdateExpanded syntax block not found in the seed");
  const names = [...block[1].matchAll(/-([A-Za-z]+)\b/g)]
    .map((m) => m[1])
    .filter((n) => n !== "AzImageBuilderVirtualMachineImageTemplate");
  return [...new Set(names), ...(block[1].includes("<CommonParameters>") ? ["<CommonParameters>"] : [])];
}

/** The README's cmdlet section, up to the next top-level section. */
function cmdletSection(readme: string): string {
  const start = readme.indexOf(SECTION);
  assert.ok(start >= 0, `README has no section "${SECTION}"`);
  const end = readme.indexOf("\n## ", start + SECTION.length);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe("README: cmdlet parameter table", () => {
  const table = cmdletSection(readFileSync(README, "utf8"));
  const rows = new Map(
    table
      .split("\n")
      .filter((l) => l.startsWith("| `"))
      .map((l) => l.split("|").map((c) => c.trim()))
      .map((cells) => [cells[1].replace(/`/g, ""), cells.slice(2)] as const),
  );

  it("lists every UpdateExpanded parameter of the seed with its argument, output or Pulumi mechanism", () => {
    const params = updateExpandedParameters(readFileSync(SEED, "utf8"));
    assert.ok(params.length >= 26, `parsed only ${params.length} parameters`);
    for (const p of params) {
      const name = p.startsWith("<") ? p : `-${p}`;
      const row = rows.get(name);
      assert.ok(row, `${name} is missing from the table`);
      assert.ok(row[0] !== "" && row[1] !== "", `${name} has an empty mapping`);
    }
  });

  it("names only real arguments and outputs of the resource", () => {
    const known = new Set<string>([...ARG_KEYS, ...OUTPUT_KEYS]);
    for (const [param, [target, kind]] of rows) {
      if (!/argument|output/.test(kind)) continue;
      const name = target.replace(/`/g, "").split(".")[0];
      assert.ok(known.has(name), `${param} maps to unknown ${target}`);
    }
    for (const key of ARG_KEYS) assert.match(table, new RegExp(`\`${key}\``), `argument ${key} is not documented`);
  });
});
