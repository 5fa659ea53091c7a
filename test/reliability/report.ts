/**
 * Rewrites the figures table in RELIABILITY.md (between the `figures` markers) from the summary the reliability
 * suites wrote. Run after the suites: `node -r ts-node/register/transpile-only test/reliability/report.ts`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { readFigures, SUMMARY_FILE } from "./summary";

const DOC = path.resolve(__dirname, "../../RELIABILITY.md");
const START = "<!-- figures:start -->";
const END = "<!-- figures:end -->";
/** Table order; figures not listed here follow in key order. */
const ORDER = [
  "faults",
  "faults-orphans",
  "interrupt",
  "interrupt-state",
  "killed-builds-create",
  "killed-builds-update",
  "scale",
  "scale-state",
  "bad-input",
  "bad-input-requests",
  "bad-input-engine",
  "tls",
  "limits",
  "limits-secret",
  "create-polling",
  "ownership",
  "two-stacks",
  "provider-kill-8",
  "provider-kill-20",
  "provider-kill-delete-8",
  "provider-kill-delete-20",
  "provider-kill-destroy-8",
  "provider-kill-destroy-20",
  "emulator-down-8",
  "emulator-down-20",
  "first-run",
  "emulator-admin",
  "emulator-tokens",
  "emulator-requests",
  "emulator-connections",
  "emulator-faults",
  "emulator-files",
  "emulator-tls",
  "emulator-connection-defaults",
  "emulator-connection-limits",
  "emulator-memory-per-anonymous-connection",
  "emulator-arm-input-limits",
  "build-log-store-forged-tokens",
  "build-log-store-stray-after-kill",
  "build-log-store-modes",
];

const cell = (v: unknown) => String(v).replace(/\|/g, "\\|");

function main(): void {
  const figures = readFigures();
  const keys = [
    ...ORDER.filter((k) => k in figures),
    ...Object.keys(figures)
      .filter((k) => !ORDER.includes(k))
      .sort(),
  ];
  if (keys.length === 0) throw new Error(`no figures in ${SUMMARY_FILE}: run the reliability suites first`);
  const rows = keys.map((k) => {
    const f = figures[k];
    return `| ${cell(f.label)} | **${cell(f.value)}** | ${cell(f.expected)} | \`${cell(f.command)}\` | ${f.recordedAt.slice(0, 10)} |`;
  });
  const table = ["| Measured | Result | Healthy | Reproduce | Run |", "| --- | --- | --- | --- | --- |", ...rows].join(
    "\n",
  );
  const doc = fs.readFileSync(DOC, "utf8");
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${DOC} lacks the ${START} ... ${END} markers`);
  fs.writeFileSync(DOC, `${doc.slice(0, start + START.length)}\n${table}\n${doc.slice(end)}`);
  console.log(`RELIABILITY.md: ${keys.length} figures from ${SUMMARY_FILE}`);
}

main();
