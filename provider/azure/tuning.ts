import type { Env } from "./credentials";
import { DEFAULT_POLL_INTERVAL_MS } from "./wait";

/*
 * The settings that tune the provider and the SDK beneath it (the poll schedule, the retry policy), read from the
 * environment at call time; variables.ts lists them with their defaults for the README.
 */

function nonNegativeNumber(env: Env, name: string, fallback: number, unit: string, integer = false): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be a non-negative ${integer ? "integer" : "number"}${unit}, got "${raw}"`);
  }
  return value;
}

/**
 * The quickest pause of the poll schedule (wait.ts), which scales every time of it, used when the service sends no
 * usable Retry-After.
 */
export function pollIntervalMs(env: Env): number {
  return nonNegativeNumber(env, "AZURE_IMAGEBUILDER_POLL_INTERVAL_MS", DEFAULT_POLL_INTERVAL_MS, " of milliseconds");
}

/** core-rest-pipeline's `retryOptions`: the one retry policy of every ARM and token request. */
export interface RetrySettings {
  maxRetries: number;
  retryDelayInMs: number;
  maxRetryDelayInMs: number;
}

/**
 * The SDK's default retry policy already honours Retry-After on 429/503 and backs off exponentially (with jitter:
 * attempt n waits between delay*2^n/2 and delay*2^n, capped) on 5xx, 408 and connection resets. We keep its
 * strategies and set the bounds explicitly: 3 retries (the SDK default) are too few when ARM throttles a large
 * `pulumi up` several times in a row, and its 64 s cap lets a single wait outlast the user's patience.
 * Worst case for transient 5xx: 0.5-1 + 1-2 + 2-4 + 4-8 + 8-16 + 15-30 s, at most ~61 s before the error surfaces.
 */
export const DEFAULT_RETRY: RetrySettings = { maxRetries: 6, retryDelayInMs: 1000, maxRetryDelayInMs: 30_000 };

export function retrySettings(env: Env): RetrySettings {
  return {
    maxRetries: nonNegativeNumber(env, "AZURE_IMAGEBUILDER_MAX_RETRIES", DEFAULT_RETRY.maxRetries, "", true),
    retryDelayInMs: nonNegativeNumber(
      env,
      "AZURE_IMAGEBUILDER_RETRY_DELAY_MS",
      DEFAULT_RETRY.retryDelayInMs,
      " of milliseconds",
    ),
    maxRetryDelayInMs: nonNegativeNumber(
      env,
      "AZURE_IMAGEBUILDER_MAX_RETRY_DELAY_MS",
      DEFAULT_RETRY.maxRetryDelayInMs,
      " of milliseconds",
    ),
  };
}
