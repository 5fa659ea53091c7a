// Preloaded into every program the language host runs (see run.go).
//
// Node 20.20's util.inspect never returns when it colours an error whose stack has a frame path ending in
// `node_modules/<name>` or `node_modules/@scope/<name>` with no separator after the name (markNodeModules restarts its
// scan at index 0; nodejs/node#64011, fixed in later lines by #64022): it appends to one string until V8 throws
// "Invalid string length", about a minute of garbage collection later. @pulumi/pulumi's source maps name one level
// above the package (`node_modules/@pulumi/config.ts`), so every error thrown from a top-level SDK file (a missing
// required config value, a ResourceError, ...) has such a frame, and the SDK's run script inspects every uncaught error
// with colours before it exits. An error with such a frame is inspected without colours instead: the same text.
import util from "node:util";

const loopingFrame = /[/\\]node_modules[/\\](?:@[^/\\\n]*[/\\])?[^/\\\n]*$/m;

/** Whether colouring `value` would reach such a frame: its stack, or that of an error it wraps (cause, errors). */
function hasLoopingFrame(value, seen = new Set()) {
  if (!(value instanceof Error) || seen.has(value)) return false;
  seen.add(value);
  if (typeof value.stack === "string" && loopingFrame.test(value.stack)) return true;
  const nested = Array.isArray(value.errors) ? [value.cause, ...value.errors] : [value.cause];
  return nested.some((inner) => hasLoopingFrame(inner, seen));
}

// A proxy keeps util.inspect's own properties (custom, defaultOptions, colors, styles) live.
util.inspect = new Proxy(util.inspect, {
  apply(inspect, self, [value, options, ...rest]) {
    const coloured = typeof options === "object" && options !== null && options.colors;
    if (coloured && hasLoopingFrame(value)) return Reflect.apply(inspect, self, [value, { ...options, colors: false }]);
    return Reflect.apply(inspect, self, [value, options, ...rest]);
  },
});
