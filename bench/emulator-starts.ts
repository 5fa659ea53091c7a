/**
 * What an emulator costs a test that starts and stops it: N emulators started and stopped one after another, in a
 * child process per build of the emulator named, the builds taking turns for R rounds. Wall time, and CPU time of the
 * process and of its children it reaped (Azurite's included), per round.
 *
 * `node dist/bench/emulator-starts.js [--n 20] [--rounds 3] <emulator build dir> [<another build dir> ...]`
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";

/** Linux's USER_HZ: /proc times are in these ticks. */
const TICKS_PER_SECOND = 100;

/** CPU seconds of this process and of every child it has waited for (/proc/self/stat: utime stime cutime cstime). */
function cpuSeconds(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0) / TICKS_PER_SECOND;
}

async function child(dir: string, n: number): Promise<void> {
  const { startEmulator } = require(path.resolve(dir)) as typeof import("../emulator");
  const cpu = cpuSeconds();
  const started = Date.now();
  for (let i = 0; i < n; i++) await (await startEmulator({ quiet: true })).stop();
  process.stdout.write(JSON.stringify({ wallSeconds: (Date.now() - started) / 1000, cpuSeconds: cpuSeconds() - cpu }));
}

function measure(dir: string, n: number): Promise<{ wallSeconds: number; cpuSeconds: number }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [__filename, "--child", dir, String(n)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    c.stdout.on("data", (d: Buffer) => (out += d.toString()));
    c.once("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${dir}: exit ${code}`))));
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === "--child") return child(args[1], Number(args[2]));
  const option = (name: string, fallback: number) => {
    const i = args.indexOf(name);
    return i < 0 ? fallback : Number(args.splice(i, 2)[1]);
  };
  const n = option("--n", 20);
  const rounds = option("--rounds", 3);
  const results = new Map(args.map((dir) => [dir, [] as { wallSeconds: number; cpuSeconds: number }[]]));
  for (let r = 0; r < rounds; r++) for (const dir of args) results.get(dir)!.push(await measure(dir, n));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`| build | ${n} starts + stops, wall s (median of ${rounds}) | CPU s | per emulator: wall ms, CPU ms |`);
  console.log("|---|---:|---:|---:|");
  for (const [dir, rs] of results) {
    const wall = median(rs.map((x) => x.wallSeconds));
    const cpu = median(rs.map((x) => x.cpuSeconds));
    console.log(
      `| ${dir} | ${wall.toFixed(1)} | ${cpu.toFixed(1)} | ${((wall * 1000) / n).toFixed(0)}, ${((cpu * 1000) / n).toFixed(0)} |`,
    );
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
