/**
 * The figures RELIABILITY.md reports, written by the reliability suites as they run (one JSON line per figure)
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

/**
 * One JSON line per recorded figure, appended. Suites may run in parallel processes (`npm test` runs mocha with
 * --parallel): an append is a single write to a file opened with O_APPEND, so no figure of another process is lost,
 * as a read-merge-write of one JSON document would lose it. The last line for a key wins.
 */
export const SUMMARY_FILE =
  process.env.RELIABILITY_SUMMARY ?? path.join(os.tmpdir(), "pulumi-azure-imagebuilder-reliability.jsonl");

export function readFigures(file = SUMMARY_FILE): Record<string, Figure & { recordedAt: string }> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return {};
  }
  const all: Record<string, Figure & { recordedAt: string }> = {};
  for (const line of text.split("\n").filter(Boolean)) {
    const { key, ...figure } = JSON.parse(line) as Figure & { key: string; recordedAt: string };
    all[key] = figure;
  }
  return all;
}

/** Records (or replaces) one figure under a stable key, so reruns of one suite update only its rows. */
export function recordFigure(key: string, figure: Figure): void {
  fs.appendFileSync(SUMMARY_FILE, `${JSON.stringify({ key, ...figure, recordedAt: new Date().toISOString() })}\n`);
}

/** The mocha command that runs one reliability suite (after `npm run build`). */
export const suiteCommand = (file: string): string =>
  `npm run build && npx mocha --no-config -r ts-node/register/transpile-only --extension ts --timeout 60000 test/reliability/${file}`;
