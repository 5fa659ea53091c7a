import * as t from "io-ts";
import { array, httpUrl, integer, nonEmptyString, object, sha256, taggedUnion } from "../../codecs/combinators";

// Script steps (Shell/PowerShell customizers and validators) share these members.
const script = { scriptUri: httpUrl, sha256Checksum: sha256, inline: array(t.string) };
const powerShell = {
  ...script,
  runElevated: t.boolean,
  runAsSystem: t.boolean,
  validExitCodes: array(integer(Number.MIN_SAFE_INTEGER)),
};

export const ShellStep = object("Shell", { type: t.literal("Shell") }, { name: t.string, ...script });
export const PowerShellStep = object(
  "PowerShell",
  { type: t.literal("PowerShell") },
  { name: t.string, ...powerShell },
);
export const FileStep = object(
  "File",
  { type: t.literal("File"), sourceUri: httpUrl, destination: nonEmptyString },
  { name: t.string, sha256Checksum: sha256 },
);

export const WindowsRestartCustomizer = object(
  "WindowsRestart",
  { type: t.literal("WindowsRestart") },
  {
    name: t.string,
    restartCommand: t.string,
    restartCheckCommand: t.string,
    restartTimeout: t.string,
  },
);

export const WindowsUpdateCustomizer = object(
  "WindowsUpdate",
  { type: t.literal("WindowsUpdate") },
  { name: t.string, searchCriteria: t.string, filters: array(t.string), updateLimit: integer(0) },
);

export const Customizer = taggedUnion("Customizer", "type", {
  Shell: ShellStep,
  PowerShell: PowerShellStep,
  WindowsRestart: WindowsRestartCustomizer,
  WindowsUpdate: WindowsUpdateCustomizer,
  File: FileStep,
});
export type Customizer = t.TypeOf<typeof Customizer>;

export const InVMValidator = taggedUnion("InVMValidator", "type", {
  Shell: ShellStep,
  PowerShell: PowerShellStep,
  File: FileStep,
});
export type InVMValidator = t.TypeOf<typeof InVMValidator>;
