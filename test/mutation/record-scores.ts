/**
 * Writes the mutation score of each mutated file into TESTING.md, from StrykerJS JSON reports (the mutation testing
 * report schema). Several reports (e.g. one per file, as run during development) merge, the newest winning per file;
 * rows of files those reports do not cover stay as TESTING.md had them, each with the command that measured it, unless
 * the file is gone (moved or deleted).
 * Usage: ts-node test/mutation/record-scores.ts "<command that produced them>" report.json [...]
 */
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";

interface Report {
  files: Record<string, { mutants: { status: string }[] }>;
}
interface Row {
  file: string;
  date: string;
  counts: Record<string, number>;
  command: string;
}

const ROOT = path.resolve(__dirname, "../..");
const START = "<!-- mutation-scores:start -->";
const END = "<!-- mutation-scores:end -->";
// Stryker's score: detected / (detected + undetected); compile and runtime errors count in neither.
const DETECTED = ["Killed", "Timeout"];
const UNDETECTED = ["Survived", "NoCoverage"];

function rows(command: string, reportPaths: string[]): Row[] {
  const byFile = new Map<string, Row & { mtime: number }>();
  for (const reportPath of reportPaths) {
    const mtime = statSync(reportPath).mtimeMs;
    const report = JSON.parse(readFileSync(reportPath, "utf8")) as Report;
    for (const [file, { mutants }] of Object.entries(report.files)) {
      const name = path.relative(ROOT, path.resolve(ROOT, file));
      if ((byFile.get(name)?.mtime ?? -1) > mtime) continue;
      const counts: Record<string, number> = {};
      for (const m of mutants) counts[m.status] = (counts[m.status] ?? 0) + 1;
      byFile.set(name, {
        file: name,
        date: new Date(mtime).toISOString().slice(0, 16).replace("T", " "),
        counts,
        command,
        mtime,
      });
    }
  }
  return [...byFile.values()];
}

const COLUMNS = ["Killed", "Timeout", "Survived", "NoCoverage"];

/** The rows TESTING.md holds now (the command column absent in older tables: the header's command). */
function recorded(scores: string): Row[] {
  const header = /^Measured with `(.*)` \(dates/m.exec(scores)?.[1] ?? "";
  return scores
    .split("\n")
    .filter((l) => /^\| [\w./-]+\.ts \|/.test(l))
    .map((l) => {
      const cells = l.split("|").map((c) => c.trim());
      const counts = Object.fromEntries(COLUMNS.map((s, i) => [s, Number(cells[3 + i])]));
      counts.CompileError = Number(cells[7]);
      return { file: cells[1], counts, date: cells[8], command: cells[9]?.replace(/^`|`$/g, "") || header };
    });
}

const sum = (counts: Record<string, number>, statuses: string[]) => statuses.reduce((n, s) => n + (counts[s] ?? 0), 0);

function table(all: Row[]): string {
  const lines = [
    "Dates in UTC, per file; each row names the command that measured it.",
    "",
    "| File | Score | Killed | Timeout | Survived | No coverage | Compile/runtime errors | Measured | Command |",
    "|---|---:|---:|---:|---:|---:|---:|---|---|",
  ];
  for (const r of all) {
    const detected = sum(r.counts, DETECTED);
    const total = detected + sum(r.counts, UNDETECTED);
    const score = total === 0 ? "n/a" : `${((100 * detected) / total).toFixed(1)} %`;
    const c = (s: string) => r.counts[s] ?? 0;
    const errors = c("CompileError") + c("RuntimeError");
    lines.push(
      `| ${r.file} | ${score} | ${c("Killed")} | ${c("Timeout")} | ${c("Survived")} | ${c("NoCoverage")} | ${errors} | ${r.date} | \`${r.command}\` |`,
    );
  }
  return lines.join("\n");
}

/** Merges the reports' scores into TESTING.md's table; returns the table. */
export function recordScores(command: string, reports: string[]): string {
  const target = path.join(ROOT, "TESTING.md");
  const text = readFileSync(target, "utf8");
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`TESTING.md lacks the ${START} ... ${END} markers`);
  const fresh = rows(command, reports);
  const kept = recorded(text.slice(start, end)).filter(
    (r) => !fresh.some((f) => f.file === r.file) && existsSync(path.join(ROOT, r.file)),
  );
  const scores = table([...kept, ...fresh].sort((a, b) => a.file.localeCompare(b.file)));
  writeFileSync(target, `${text.slice(0, start + START.length)}\n${scores}\n${text.slice(end)}`);
  return scores;
}

if (require.main === module) {
  const [command, ...reports] = process.argv.slice(2);
  if (!command || reports.length === 0) throw new Error('usage: record-scores.ts "<command>" report.json [...]');
  console.log(recordScores(command, reports));
}
