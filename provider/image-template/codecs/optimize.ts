import * as t from "io-ts";
import { atMost, httpUrl, object, oneOf, sha256 } from "../../codecs/combinators";
import { BOUNDS } from "../../codecs/bounds";

const State = oneOf("Enabled", "Disabled");

export const Optimize = object(
  "Optimize",
  {},
  {
    vmBoot: object("OptimizeVmBoot", {}, { state: State }),
    workload: object(
      "OptimizeWorkload",
      {},
      { state: State, scriptUri: atMost(BOUNDS.url.max, httpUrl), sha256Checksum: sha256 },
    ),
  },
);
export type Optimize = t.TypeOf<typeof Optimize>;

export const ErrorHandling = object(
  "ErrorHandling",
  {},
  { onCustomizerError: oneOf("cleanup", "abort"), onValidationError: oneOf("cleanup", "abort") },
);
export type ErrorHandling = t.TypeOf<typeof ErrorHandling>;

export const AutoRun = object("AutoRun", {}, { state: State });
export type AutoRun = t.TypeOf<typeof AutoRun>;
