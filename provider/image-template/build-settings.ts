import type { BuildSettings } from "./codecs/build";
import { isUnknown } from "../codecs/combinators";
import { containsUnknown, sortedJson } from "../json";
import type { PropertyBag } from "../property-bag";

/** The service's build timeout when buildTimeoutInMinutes is 0 or omitted (4 h). */
export const SERVICE_DEFAULT_BUILD_TIMEOUT_MINUTES = 240;
/** Waiting beyond the service's own build timeout: queueing before the build and distribution after it. */
export const TIMEOUT_MARGIN_MINUTES = 30;

/** Build settings with every default applied. */
export interface ResolvedBuild {
  when: NonNullable<BuildSettings["when"]>;
  trigger: unknown;
  waitForCompletion: boolean;
  timeoutMinutes: number;
  cancelOnTimeout: boolean;
  logs: NonNullable<BuildSettings["logs"]>;
  /** What bounds the wait when it is not build.timeoutMinutes: the operation's customTimeouts (withinTimeout). */
  timeoutBy?: string;
}

/**
 * The engine's customTimeouts of one create or update, as it sends them to a provider plugin (the dynamic provider
 * host drops them: provider/timeouts.ts).
 */
export interface OperationTimeout {
  /** The resource option that set it: `customTimeouts.create` or `customTimeouts.update`. */
  option: string;
  seconds: number;
  /** When the operation began (ms since the epoch): the build waits for what is left. */
  since: number;
}

/** `settings` with the build's wait cut to what is left of the operation's customTimeouts, when that is shorter. */
export function withinTimeout(settings: ResolvedBuild, timeout?: OperationTimeout, now = Date.now()): ResolvedBuild {
  if (timeout === undefined) return settings;
  const leftMinutes = Math.max(0, timeout.since + timeout.seconds * 1000 - now) / 60_000;
  if (leftMinutes >= settings.timeoutMinutes) return settings;
  return { ...settings, timeoutMinutes: leftMinutes, timeoutBy: `${timeout.option} of ${timeout.seconds}s` };
}

/** The build settings of a property bag (inputs or stored outputs), defaults applied. */
export function resolveBuild(bag: PropertyBag): ResolvedBuild {
  const b = (typeof bag.build === "object" && bag.build !== null ? bag.build : {}) as BuildSettings;
  const templateTimeout = typeof bag.buildTimeoutInMinute === "number" ? bag.buildTimeoutInMinute : 0;
  return {
    when: b.when ?? "never",
    trigger: b.trigger,
    waitForCompletion: b.waitForCompletion ?? true,
    timeoutMinutes:
      b.timeoutMinutes ?? (templateTimeout || SERVICE_DEFAULT_BUILD_TIMEOUT_MINUTES) + TIMEOUT_MARGIN_MINUTES,
    cancelOnTimeout: b.cancelOnTimeout ?? false,
    logs: b.logs ?? "onFailure",
  };
}

/** Why a create must build, or undefined. */
export function buildOnCreate(inputs: PropertyBag): string | undefined {
  const { when } = resolveBuild(inputs);
  return when === "never" ? undefined : `build.when is "${when}"`;
}

/**
 * Why an update of `olds` (stored outputs) to `news` must build, or undefined. A build is owed when the previous one
 * did not complete (`buildPending`, recorded with a failed or timed-out build), when the trigger changed, or, with
 * `when: "onChange"`, when the template itself changes in place (`patched`, from the plan). Nothing builds while
 * `when` is "never".
 */
export function buildOnUpdate(olds: PropertyBag, news: PropertyBag, patched: boolean): string | undefined {
  if (isUnknown(news.build)) return "the build settings are not known yet";
  const settings = resolveBuild(news);
  if (settings.when === "never") return undefined;
  if (olds.buildPending === true) return "the previous build did not complete";
  const before = sortedJson(resolveBuild(olds).trigger);
  const after = sortedJson(settings.trigger);
  if (containsUnknown(after) || JSON.stringify(before) !== JSON.stringify(after)) return "build.trigger changed";
  if (settings.when === "onChange" && patched) {
    return 'the template changed and build.when is "onChange"';
  }
  return undefined;
}
