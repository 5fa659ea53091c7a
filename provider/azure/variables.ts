import { pollIntervalMs, retrySettings } from "./tuning";

/**
 * The environment variables that tune the provider and the Azure SDK beneath it (sign-in has its own table in the
 * README). The README's table is generated from this list (`npm run docs`); test/unit/docs.test.ts fails when
 * provider/ reads an AZURE_IMAGEBUILDER_* variable this list lacks.
 */
export const TUNING_VARIABLES: readonly { name: string; default: string; doc: string }[] = [
  {
    name: "AZURE_IMAGEBUILDER_POLL_INTERVAL_MS",
    default: String(pollIntervalMs({})),
    doc: "The first pause of the poll schedule (builds and long-running operations without a `Retry-After`), in milliseconds; it scales the whole schedule (Poll pace above).",
  },
  {
    name: "AZURE_IMAGEBUILDER_MAX_RETRIES",
    default: String(retrySettings({}).maxRetries),
    doc: "Retries of an ARM or token request that failed transiently (429 and 503 after their `Retry-After`, other 5xx, 408, connection resets).",
  },
  {
    name: "AZURE_IMAGEBUILDER_RETRY_DELAY_MS",
    default: String(retrySettings({}).retryDelayInMs),
    doc: "Base of the exponential back-off between those retries, in milliseconds (a `Retry-After` wins).",
  },
  {
    name: "AZURE_IMAGEBUILDER_MAX_RETRY_DELAY_MS",
    default: String(retrySettings({}).maxRetryDelayInMs),
    doc: "The longest single wait between retries, in milliseconds.",
  },
  {
    name: "AZURE_LOG_LEVEL",
    default: "unset: no SDK log",
    doc: "The Azure SDK's log (`error`, `warning`, `info`, `verbose`: requests, retries, token acquisition; authorization headers redacted), written to the provider's stderr, which `pulumi up` shows as the provider's output.",
  },
];
