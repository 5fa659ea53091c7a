import type { Json, JsonObject, TemplateRecord } from "./model";

/*
 * Members the service fills in where the request left them out, as recorded real traffic shows them
 * (shared notes, "Members the service fills in or drops"): what a GET, a list or a PUT response reports beyond
 * what was sent. The record keeps the caller's properties; these are added when a template is rendered.
 */

const isObject = (v: Json | undefined): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A step as reported: PowerShell `runElevated`/`runAsSystem` false and WindowsRestart `restartCommand` "" when
 * absent; the computed checksum of a downloaded file once the template is provisioned.
 */
function filledStep(step: Json, checksum: string | undefined): Json {
  if (!isObject(step)) return step;
  const filled: JsonObject = { ...step };
  if (step.type === "PowerShell") {
    filled.runElevated ??= false;
    filled.runAsSystem ??= false;
  }
  if (step.type === "WindowsRestart") filled.restartCommand ??= "";
  if (checksum !== undefined) filled.sha256Checksum = checksum;
  return filled;
}

function filledSteps(steps: Json | undefined, list: string, checksums: Record<string, string>): Json | undefined {
  return Array.isArray(steps) ? steps.map((s, i) => filledStep(s, checksums[`${list}/${i}`])) : steps;
}

/** Checksums appear after provisioning: the PUT response (Creating) omits them, a Failed template never had them. */
const checksumsShown = (t: TemplateRecord) =>
  t.provisioning.state === "Creating" || t.provisioning.state === "Failed" ? {} : (t.checksums ?? {});

/** The template's properties with every member the service fills in. */
export function withFilledMembers(t: TemplateRecord, properties: JsonObject): JsonObject {
  const props: JsonObject = { ...properties };
  const checksums = checksumsShown(t);
  if (props.customize) props.customize = filledSteps(props.customize, "customize", checksums) as Json;
  if (isObject(props.validate) && props.validate.inVMValidations) {
    const steps = filledSteps(props.validate.inVMValidations, "validate.inVMValidations", checksums) as Json;
    props.validate = { ...props.validate, inVMValidations: steps };
  }
  if (Array.isArray(props.distribute)) {
    props.distribute = props.distribute.map((d) => (isObject(d) ? { ...d, artifactTags: d.artifactTags ?? {} } : d));
  }
  // `"vmProfile": {}` comes back as {vmSize: "", osDiskSizeGB: 0}; a template without vmProfile gets none.
  if (isObject(props.vmProfile)) {
    props.vmProfile = {
      ...props.vmProfile,
      vmSize: props.vmProfile.vmSize ?? "",
      osDiskSizeGB: props.vmProfile.osDiskSizeGB ?? 0,
    };
  }
  return props;
}
