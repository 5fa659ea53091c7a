import * as t from "io-ts";
import { array, atMost, httpUrl, integer, nonEmptyString, object, sha256, taggedUnion } from "../../codecs/combinators";
import { BOUNDS } from "../../codecs/bounds";

const name = atMost(BOUNDS.name.max);
const url = atMost(BOUNDS.url.max, httpUrl);
const command = atMost(BOUNDS.command.max);

// Script steps (Shell/PowerShell customizers and validators) share these members.
const script = {
  scriptUri: url,
  sha256Checksum: sha256,
  inline: array(t.string, { maxItems: BOUNDS.inline.max }),
};
const powerShell = {
  ...script,
  runElevated: t.boolean,
  runAsSystem: t.boolean,
  validExitCodes: array(integer(Number.MIN_SAFE_INTEGER), { maxItems: BOUNDS.list.max }),
};

export const ShellStep = object("Shell", { type: t.literal("Shell") }, { name, ...script });
export const PowerShellStep = object("PowerShell", { type: t.literal("PowerShell") }, { name, ...powerShell });
export const FileStep = object(
  "File",
  { type: t.literal("File"), sourceUri: url, destination: atMost(BOUNDS.path.max, nonEmptyString) },
  { name, sha256Checksum: sha256 },
);

export const WindowsRestartCustomizer = object(
  "WindowsRestart",
  { type: t.literal("WindowsRestart") },
  { name, restartCommand: command, restartCheckCommand: command, restartTimeout: name },
);

export const WindowsUpdateCustomizer = object(
  "WindowsUpdate",
  { type: t.literal("WindowsUpdate") },
  {
    name,
    searchCriteria: command,
    filters: array(command, { maxItems: BOUNDS.list.max }),
    updateLimit: integer(0),
  },
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
