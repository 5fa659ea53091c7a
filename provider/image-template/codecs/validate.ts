import * as t from "io-ts";
import { array, object } from "../../codecs/combinators";
import { InVMValidator } from "./customizers";
import { BOUNDS } from "../../codecs/bounds";

export const Validate = object(
  "Validate",
  {},
  {
    continueDistributeOnFailure: t.boolean,
    sourceValidationOnly: t.boolean,
    inVMValidations: array(InVMValidator, { maxItems: BOUNDS.steps.max }),
  },
);
export type Validate = t.TypeOf<typeof Validate>;
