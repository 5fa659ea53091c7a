import type { Connection } from "../azure/client";
import { awaitRunningBuild, type BuildProgress } from "./build";
import { resolveBuild } from "./build-plan";
import { serviceError } from "../errors";
import type { PropertyBag } from "../property-bag";
import type { TemplateAddress } from "./mapping";

/*
 * The service refuses every write to a template while it builds (409 OperationNotAllowed "... is not allowed in
 * provisioning state: provisioned or run state: running."). A build the program did not start (autoRun, a trigger,
 * someone in the portal) would otherwise fail the `up` at a moment nobody chose: wait for it, then write.
 */

/** A 409 whose reason is a build in progress (running, or canceling on its way out). */
export function isRefusedWhileBuilding(e: unknown): boolean {
  const { status, message } = serviceError(e);
  return status === 409 && /run ?state: '?(running|canceling)/i.test(message);
}

/**
 * Sends `write`; when the service refuses it because a build runs, says so, waits for that build with its live
 * progress (at most the template's build timeout, as `build.timeoutMinutes` resolves it) and sends it again.
 */
export async function afterRunningBuild<T>(
  c: Connection,
  a: TemplateAddress,
  bag: PropertyBag,
  progress: BuildProgress,
  what: string,
  write: () => Promise<T>,
): Promise<T> {
  try {
    return await write();
  } catch (e) {
    if (!isRefusedWhileBuilding(e)) throw e;
    const { timeoutMinutes } = resolveBuild(bag);
    progress.line(
      `the service refuses ${what} while a build runs: waiting for the build (up to ${timeoutMinutes} minutes)`,
    );
    const done = await awaitRunningBuild(c, a, progress, AbortSignal.timeout(timeoutMinutes * 60_000));
    if (!done) {
      throw new Error(
        `${what} was refused while a build ran, and the build was still running after ${timeoutMinutes} minutes; run pulumi up again once it has finished (or cancel it: az image builder cancel -g ${a.resourceGroupName} -n ${a.imageTemplateName}).`,
      );
    }
    progress.line(`build ${done.lastRunStatus?.runState}; applying ${what}`);
    return write();
  }
}
