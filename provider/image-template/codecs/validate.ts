import * as t from "io-ts";
import { array, object } from "../../codecs/combinators";
import { InVMValidator } from "./customizers";

export const Validate = object(
  "Validate",
  {},
  { continueDistributeOnFailure: t.boolean, sourceValidationOnly: t.boolean, inVMValidations: array(InVMValidator) },
);
export type Validate = t.TypeOf<typeof Validate>;
