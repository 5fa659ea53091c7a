/**
 * TLS verification is never disabled: no source file under provider/, emulator/, toolchain/ or test/ sets
 * NODE_TLS_REJECT_UNAUTHORIZED or passes rejectUnauthorized: false (tests trust the emulator's certificate instead,
 * see test/helpers/emulator.ts).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { recordFigure } from "./summary";

const ROOT = path.resolve(__dirname, "../..");
const SCANNED = ["provider", "emulator", "toolchain", "test", "examples", "bench"];
const THIS_FILE = path.relative(ROOT, __filename);
const DISABLING = [/NODE_TLS_REJECT_UNAUTHORIZED/, /rejectUnauthorized\s*:\s*(false|0)\b/, /checkServerIdentity\s*:/];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : sources(full);
    return /\.(ts|js|go|sh)$/.test(e.name) ? [full] : [];
  });
}

describe("reliability: TLS verification is never disabled", () => {
  it("no source sets NODE_TLS_REJECT_UNAUTHORIZED, rejectUnauthorized: false or a custom checkServerIdentity", () => {
    const files = SCANNED.flatMap((d) => sources(path.join(ROOT, d))).filter(
      (f) => path.relative(ROOT, f) !== THIS_FILE,
    );
    const hits = files.flatMap((f) => {
      const text = readFileSync(f, "utf8");
      return DISABLING.filter((re) => re.test(text)).map((re) => `${path.relative(ROOT, f)}: ${re}`);
    });
    recordFigure("tls", {
      label: `Places disabling TLS verification in ${files.length} source files (${SCANNED.join(", ")})`,
      value: hits.length,
      expected: 0,
      command: "npx mocha --no-config -r ts-node/register/transpile-only --extension ts test/reliability/tls.test.ts",
    });
    assert.ok(files.length > 50, "sanity: the scan found the sources");
    assert.deepEqual(hits, []);
  });
});
