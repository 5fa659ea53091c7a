/**
 * The figures RELIABILITY.md reports, written by the reliability suites as they run (one JSON file, merged per key)
 * and turned into the table by report.ts. Each figure carries the command that reproduces it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface Figure {
  /** What was measured, as the table's first column. */
  label: string;
  /** The measured value, e.g. "14 / 14" or 0. */
  value: string | number;
  /** The value a healthy run must produce. */
  expected: string | number;
  /** The command that reproduces the figure. */
  command: string;
}

export const SUMMARY_FILE =
  process.env.RELIABILITY_SUMMARY ?? path.join(os.tmpdir(), "pulumi-azure-imagebuilder-reliability.json");

export function readFigures(file = SUMMARY_FILE): Record<string, Figure & { recordedAt: string }> {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return {};
  }
}

/** Records (or replaces) one figure under a stable key, so reruns of one suite update only its rows. */
export function recordFigure(key: string, figure: Figure): void {
  const all = readFigures();
  all[key] = { ...figure, recordedAt: new Date().toISOString() };
  fs.writeFileSync(SUMMARY_FILE, `${JSON.stringify(all, null, 2)}\n`);
}

/** The mocha command that runs one reliability suite (after `npm run build`). */
export const suiteCommand = (file: string): string =>
  `npm run build && npx mocha --no-config -r ts-node/register/transpile-only --extension ts --timeout 60000 test/reliability/${file}`;
