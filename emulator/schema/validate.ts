import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { errors, type ArmError } from "../errors";
import schema from "./imagebuilder-2025-10-01.schema.json";

/**
 * Request-body validation against the JSON Schema derived from the official OpenAPI description
 * (see generate.ts for why it is a committed, derived file). Errors are rendered the way the service
 * words them: unknown/mis-cased fields as unmarshalling errors, the rest as "Validation failed: ...".
 */
export type BodyKind = "ImageTemplate" | "ImageTemplateUpdateParameters" | "Trigger";

const ajv = new Ajv({ allErrors: false, strict: true, strictTypes: false });
addFormats(ajv, ["date-time"]);
ajv.addSchema(schema, "imagebuilder");
const validators = new Map<BodyKind, ValidateFunction>();

function validatorFor(kind: BodyKind): ValidateFunction {
  let v = validators.get(kind);
  if (!v) {
    v = ajv.getSchema(`imagebuilder#/definitions/${kind}`);
    if (!v) throw new Error(`no schema for ${kind}`);
    validators.set(kind, v);
  }
  return v;
}

/** Throws the service's 400 if `body` does not match the schema of `kind`. */
export function validateBody(kind: BodyKind, body: unknown): void {
  const validate = validatorFor(kind);
  if (validate(body)) return;
  throw toArmError(kind, (validate.errors ?? [])[0]);
}

function toArmError(kind: BodyKind, e: ErrorObject | undefined): ArmError {
  if (!e) return errors.validation(`'${kind}': invalid body`);
  const where = `${kind}${e.instancePath.replace(/\/(\d+)/g, "[$1]").replace(/\//g, ".")}`;
  switch (e.keyword) {
    case "additionalProperties":
      return errors.unknownField(where, String(e.params.additionalProperty));
    case "required":
      return errors.validation(`'${where}': Missing field '${String(e.params.missingProperty)}'`);
    case "enum":
      return errors.validation(
        `'${where}': Field has a bad value. Allowed values: ${(e.params.allowedValues as unknown[]).join(", ")}`,
      );
    default:
      return errors.validation(`'${where}': ${e.message ?? "invalid value"}`);
  }
}
