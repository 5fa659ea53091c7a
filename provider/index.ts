export { ImageTemplate, type ImageTemplateArgs, type DeepInput } from "./image-template/resource";
export { ImageTemplateTrigger, type ImageTemplateTriggerArgs } from "./trigger/resource";
export {
  argsFromArmTemplate,
  ArmTemplateError,
  type ArmTemplateArgs,
  type ArmTemplateProblem,
} from "./image-template/arm-template";
export { resourceGroupId } from "./resource-group";
import imageTemplateProvider = require("./image-template/provider");
import imageTemplateTriggerProvider = require("./trigger/provider");
export { imageTemplateProvider, imageTemplateTriggerProvider };
export type { BuildSettings } from "./image-template/codecs/build";
export type { TriggerInputs } from "./trigger/codecs";
export type { RunOutputs, RunOutputSummary } from "./image-template/build";
export type { BuildOutputs } from "./image-template/record";
export type { ImageTemplateInputs } from "./image-template/codecs/args";
export type { Source } from "./image-template/codecs/source";
export type { Customizer, InVMValidator } from "./image-template/codecs/customizers";
export type { Distributor } from "./image-template/codecs/distributors";
export type { Validate } from "./image-template/codecs/validate";
export type { Optimize, ErrorHandling, AutoRun } from "./image-template/codecs/optimize";
export type { ComputedOutputs } from "./image-template/mapping";
// The named input types of the nested members (CustomizeShellArgs, DistributeSharedImageArgs, ...).
export type * from "./image-template/args";
