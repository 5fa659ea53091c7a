/**
 * Writes the mutation score of each mutated file into TESTING.md, from StrykerJS JSON reports (the mutation testing
 * report schema). Several reports (e.g. one per file, as run during development) merge, the newest winning per file.
 * Rows of files the reports do not cover stay as they are in the table.
 * Usage: ts-node test/mutation/record-scores.ts "<command that produced them>" report.json [...]
 */
import { readFileSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";

interface Report {
  files: Record<string, { mutants: { status: string }[] }>;
}
interface Row {
  file: string;
  date: string;
  counts: Record<string, number>;
}

const ROOT = path.resolve(__dirname, "../..");
const START = "<!-- mutation-scores:start -->";
const END = "<!-- mutation-scores:end -->";
// Stryker's score: detected / (detected + undetected); compile and runtime errors count in neither.
const DETECTED = ["Killed", "Timeout"];
const UNDETECTED = ["Survived", "NoCoverage"];

function rows(reportPaths: string[]): Row[] {
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
        mtime,
      });
    }
  }
  return [...byFile.values()].sort((a, b) => a.file.localeCompare(b.file));
}

const sum = (counts: Record<string, number>, statuses: string[]) => statuses.reduce((n, s) => n + (counts[s] ?? 0), 0);

function table(command: string, all: Row[], kept: string[]): string {
  const measured = all.map((r) => {
    const detected = sum(r.counts, DETECTED);
    const total = detected + sum(r.counts, UNDETECTED);
    const score = total === 0 ? "n/a" : `${((100 * detected) / total).toFixed(1)} %`;
    const c = (s: string) => r.counts[s] ?? 0;
    const errors = c("CompileError") + c("RuntimeError");
    return `| ${r.file} | ${score} | ${c("Killed")} | ${c("Timeout")} | ${c("Survived")} | ${c("NoCoverage")} | ${errors} | ${r.date} |`;
  });
  const earlier = kept.length > 0 ? "; rows it did not measure are kept from earlier runs" : "";
  return [
    `Measured with \`${command}\` (dates in UTC, per file${earlier}).`,
    "",
    "| File | Score | Killed | Timeout | Survived | No coverage | Compile/runtime errors | Measured |",
    "|---|---:|---:|---:|---:|---:|---:|---|",
    ...[...measured, ...kept].sort((a, b) => a.localeCompare(b)),
  ].join("\n");
}

/** The table's rows for files the new reports do not measure, kept as they are (one file per run adds up). */
function keptRows(scores: string, measured: Set<string>): string[] {
  return scores
    .split("\n")
    .filter((line) => /^\| [^ ]+\.ts \|/.test(line))
    .filter((line) => !measured.has(line.split("|")[1].trim()));
}

function main(): void {
  const [command, ...reports] = process.argv.slice(2);
  if (!command || reports.length === 0) throw new Error('usage: record-scores.ts "<command>" report.json [...]');
  const target = path.join(ROOT, "TESTING.md");
  const text = readFileSync(target, "utf8");
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`TESTING.md lacks the ${START} ... ${END} markers`);
  const measured = rows(reports);
  const kept = keptRows(text.slice(start, end), new Set(measured.map((r) => r.file)));
  const scores = table(command, measured, kept);
  writeFileSync(target, `${text.slice(0, start + START.length)}\n${scores}\n${text.slice(end)}`);
  console.log(scores);
}

main();
