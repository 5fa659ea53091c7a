/** Runs a benchmark when its file is the process's entry (`node dist/bench/<name>.js`); a failure exits with 1. */
export function runWhenMain(entry: NodeModule, main: () => Promise<void>): void {
  if (require.main !== entry) return;
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
