/** Version parsing for the tools the toolchain probes (`pulumi version`, `go env GOVERSION`). Pure functions. */

export interface Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/** Finds the first `X.Y[.Z]` in tool output such as "v3.248.0", "go1.26.8" or "3.249.0-alpha.x". */
export function parseVersion(text: string): Version | undefined {
  const match = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3] ?? 0) };
}

export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** True when `text` holds a version at least `minimum`; unparsable output never qualifies. */
export function isAtLeast(text: string, minimum: Version): boolean {
  const version = parseVersion(text);
  return version !== undefined && compareVersions(version, minimum) >= 0;
}

export function formatVersion(v: Version): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

/** The oldest CLI accepted from PATH: the release matching the installed @pulumi/pulumi SDK. */
export const MIN_PULUMI: Version = { major: 3, minor: 248, patch: 0 };
/** pulumi's go.mod files declare `go 1.25.x`. */
export const MIN_GO: Version = { major: 1, minor: 25, patch: 0 };
