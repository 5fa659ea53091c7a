/** Summary statistics and the interleaved runner every section uses (the machine is shared and noisy). */

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error("no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { n: sorted.length, median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/**
 * Runs `measure(variant, run)` for `runs` rounds, each round visiting every variant once (the order rotates per
 * round), so slow phases of the machine hit all variants alike. Returns the samples per variant.
 */
export async function interleaved<V extends string>(
  variants: readonly V[],
  runs: number,
  measure: (variant: V, run: number) => Promise<number>,
): Promise<Record<V, number[]>> {
  const samples = Object.fromEntries(variants.map((v) => [v, [] as number[]])) as Record<V, number[]>;
  for (let run = 0; run < runs; run++) {
    for (let k = 0; k < variants.length; k++) {
      const variant = variants[(k + run) % variants.length];
      samples[variant].push(await measure(variant, run));
    }
  }
  return samples;
}

/** Per-run ratios a[i]/b[i] of two interleaved sample lists (pairs measured back to back). */
export function ratios(a: readonly number[], b: readonly number[]): number[] {
  return a.map((x, i) => x / b[i]);
}

/** Per-run differences (a[i] - b[i]) / per of two interleaved sample lists: e.g. the cost per template over a floor. */
export function differences(a: readonly number[], b: readonly number[], per: number): number[] {
  return a.map((x, i) => (x - b[i]) / per);
}

/** Wall time of `fn` in milliseconds. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}
