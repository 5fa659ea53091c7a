/** Runs `fn` while capturing console.log lines (the provider's progress output goes there). */
export async function capture<T>(fn: () => Promise<T>): Promise<{ value?: T; error?: unknown; lines: string[] }> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    return { value: await fn(), lines };
  } catch (error) {
    return { error, lines };
  } finally {
    console.log = original;
  }
}

/** The dynamic provider protocol's partial-state error a failed build answers with. */
export interface PartialStateError extends Error {
  id: string;
  properties: Record<string, unknown>;
  reasons: string[];
}
