import { readFileSync } from "node:fs";
import * as path from "node:path";
import { PACKAGE, packageRoot } from "../load";

let prefix: string | undefined;

/**
 * `pulumi-azure-imagebuilder/<version>`, which every ARM, token and storage request carries ahead of the SDK's own
 * user agent, so activity logs and Microsoft support can tell the provider's calls apart. The version is the
 * installed package's (read once: the provider runs from the installed package's dist/).
 */
export function userAgentPrefix(): string {
  prefix ??= `${PACKAGE}/${(JSON.parse(readFileSync(path.join(packageRoot(), "package.json"), "utf8")) as { version: string }).version}`;
  return prefix;
}

/** The `userAgentOptions` every Azure SDK client and credential of the provider is built with. */
export const userAgentOptions = (): { userAgentPrefix: string } => ({ userAgentPrefix: userAgentPrefix() });
