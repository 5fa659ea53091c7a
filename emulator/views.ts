import { createHash } from "node:crypto";
import { withFilledMembers } from "./filled-members";
import type { Json, JsonObject, RunRecord, RunStatus, TemplateRecord, TriggerRecord } from "./model";

/** A stable GUID derived from a string, so server-filled ids do not change between reads or restarts. */
export function stableGuid(seed: string): string {
  const h = createHash("sha256").update(seed.toLowerCase()).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The version the emulator reports for "latest" platform / gallery images: derived from the creation day. */
export function latestVersionFor(createdAt: string): string {
  return `1.0.${createdAt.slice(0, 10).replace(/-/g, "")}`;
}

/** The service spells the resource group segment of the ids it returns in lower case, whatever the request used. */
export const armId = (id: string) => id.replace(/^(\/subscriptions\/[^/]+)\/resourceGroups\//i, "$1/resourcegroups/");

/** The service fills clientId/principalId for each user-assigned identity. */
function renderIdentity(identity: JsonObject): JsonObject {
  const uais = identity.userAssignedIdentities as JsonObject | undefined;
  if (!uais) return identity;
  const filled: JsonObject = {};
  for (const id of Object.keys(uais)) {
    filled[id] = { clientId: stableGuid(`client:${id}`), principalId: stableGuid(`principal:${id}`) };
  }
  return { ...identity, userAssignedIdentities: filled };
}

/**
 * `source.exactVersion`: while the template is Creating, the version as given ("latest" stays "latest") or the
 * gallery image version id; once provisioned, the concrete version a "latest" source resolved to.
 */
function renderSource(source: JsonObject, createdAt: string, resolved: boolean): JsonObject {
  const latest = resolved ? latestVersionFor(createdAt) : "latest";
  if (source.type === "PlatformImage" && typeof source.version === "string") {
    return { ...source, exactVersion: source.version === "latest" ? latest : source.version };
  }
  if (source.type === "SharedImageVersion" && typeof source.imageVersionId === "string") {
    return { ...source, exactVersion: source.imageVersionId.replace(/\/versions\/latest$/i, `/versions/${latest}`) };
  }
  return source;
}

export function renderTemplate(t: TemplateRecord, runStatus: RunStatus | undefined): JsonObject {
  const props = withFilledMembers(t, t.properties);
  const resolved = t.provisioning.state !== "Creating";
  if (props.source) props.source = renderSource(props.source as JsonObject, String(t.systemData.createdAt), resolved);
  // Omitted buildTimeoutInMinutes means 0 (= the 4 h default), an omitted staging resource group "": the service
  // reports both, and tags as {} when none were sent.
  props.buildTimeoutInMinutes ??= 0;
  props.stagingResourceGroup ??= "";
  props.provisioningState = t.provisioning.state;
  if (t.provisioning.state === "Failed" && t.provisioning.error) props.provisioningError = t.provisioning.error;
  if (runStatus) props.lastRunStatus = runStatus as unknown as JsonObject;
  // "" in every PUT response (even with stagingResourceGroup given) until provisioning has ended, then the group id.
  props.exactStagingResourceGroup = t.provisioning.state === "Creating" ? "" : t.exactStagingResourceGroup;
  return {
    id: armId(t.id),
    name: t.name,
    type: "Microsoft.VirtualMachineImages/imageTemplates",
    location: t.location,
    tags: t.tags ?? {},
    identity: renderIdentity(t.identity),
    properties: props,
    systemData: t.systemData,
  };
}

/** One run output per distributor, named by its runOutputName, once a run has succeeded. */
export function renderRunOutputs(t: TemplateRecord, run: RunRecord, finishedAt: string): JsonObject[] {
  const failed = run.failedDistribution?.runOutputName;
  return run.distribute
    .filter((d) => d.runOutputName !== failed)
    .map((d) => {
      const name = String(d.runOutputName);
      const properties: JsonObject = { provisioningState: "Succeeded" };
      if (d.type === "ManagedImage") properties.artifactId = d.imageId as Json;
      else if (d.type === "SharedImage")
        properties.artifactId = `${String(d.galleryImageId)}/versions/${galleryVersion(d, run)}`;
      else
        properties.artifactUri = typeof d.uri === "string" && d.uri !== "" ? d.uri : defaultVhdUri(t, run, finishedAt);
      return {
        id: armId(`${t.id}/runOutputs/${name}`),
        name,
        type: "Microsoft.VirtualMachineImages/imageTemplates/runOutputs",
        properties,
      };
    });
}

/** Versioning scheme "Latest" uses the given major (-1/unset = 0); the patch number counts runs. */
function galleryVersion(d: JsonObject, run: RunRecord): string {
  const versioning = d.versioning as JsonObject | undefined;
  const major = typeof versioning?.major === "number" && versioning.major >= 0 ? versioning.major : 0;
  return `${major}.0.${run.number}`;
}

function defaultVhdUri(t: TemplateRecord, run: RunRecord, finishedAt: string): string {
  const account = stableGuid(t.exactStagingResourceGroup).replace(/-/g, "").slice(0, 24);
  return `https://${account}.blob.core.windows.net/vhds/${t.name}_${run.number}_${finishedAt.replace(/[-:.]/g, "")}.vhd`;
}

/**
 * A trigger as GET and list answer it: with `status` (Healthy, "Trigger is active"). The PUT response has only `kind`
 * and `provisioningState` under properties (`withStatus` false), as recorded.
 */
export function renderTrigger(tr: TriggerRecord, withStatus = true): JsonObject {
  return {
    id: armId(tr.id),
    name: tr.name,
    type: "Microsoft.VirtualMachineImages/imageTemplates/triggers",
    properties: {
      ...tr.properties,
      provisioningState: tr.provisioning.state,
      ...(withStatus ? { status: { code: "Healthy", message: "Trigger is active", time: tr.createdAt } } : {}),
    },
    systemData: tr.systemData,
  };
}
