import * as t from "io-ts";
import { object, oneOf } from "../../codecs/combinators";
import { BOUNDS } from "../../codecs/bounds";

/** A JSON value of any shape (the build trigger) within BOUNDS.trigger: only its canonical JSON text matters. */
const json = new t.Type<unknown, unknown, unknown>(
  "JSON value",
  (u): u is unknown => u !== undefined,
  (u, c) => {
    let text: string | undefined;
    try {
      text = JSON.stringify(u);
    } catch {
      return t.failure(u, c, "must be a JSON value");
    }
    if (text === undefined) return t.failure(u, c, "must be a JSON value");
    const bytes = Buffer.byteLength(text);
    return bytes > BOUNDS.trigger.max
      ? t.failure(
          u,
          c,
          `must be at most ${BOUNDS.trigger.max} bytes of JSON (got ${bytes}); use a hash of large contents`,
        )
      : t.success(u);
  },
  t.identity,
);

const positive = new t.Type<number, unknown, unknown>(
  "a positive number",
  (u): u is number => typeof u === "number" && Number.isFinite(u) && u > 0,
  (u, c) =>
    typeof u === "number" && Number.isFinite(u) && u > 0 ? t.success(u) : t.failure(u, c, "must be a positive number"),
  t.identity,
);

/**
 * When and how `pulumi up` runs an image build (the service's `run` action) and waits for it. Steers the provider
 * only: the template itself never sees these settings, so changing them never replaces it.
 */
export const BuildSettings = object(
  "Build",
  {},
  {
    /** "never" (default): no build; "onCreate": after creating (or replacing) the template; "onChange": after every create, replacement or in-place update. */
    when: oneOf("never", "onCreate", "onChange"),
    /** Any JSON value; changing it runs a new build on the next `pulumi up` (like `triggers` of Pulumi's command provider). */
    trigger: json,
    /** Wait for the build to end (default true); otherwise start it and return. */
    waitForCompletion: t.boolean,
    /** How long to wait (default: the template's buildTimeoutInMinute, 0 meaning 240, plus a margin). */
    timeoutMinutes: positive,
    /** Cancel the build when the wait times out (default false: the build goes on and the next `pulumi up` waits for it). */
    cancelOnTimeout: t.boolean,
    /** The build's customization.log: "onFailure" (default) shows its relevant lines when the build fails, "stream" also prints its lines as they appear, "off" never reads it. */
    logs: oneOf("onFailure", "stream", "off"),
  },
);
export type BuildSettings = t.TypeOf<typeof BuildSettings>;
