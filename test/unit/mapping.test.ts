import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { ImageTemplate, ImageTemplateUpdateParameters } from "@azure/arm-imagebuilder";
import type { ArgKey, ImageTemplateInputs } from "../../provider/image-template/codecs/args";
import { diffInputs } from "../../provider/image-template/plan";
import {
  argsFromImageTemplate,
  outputsFromImageTemplate,
  toImageTemplate,
  toUpdateParameters,
} from "../../provider/image-template/mapping";
import { parseTemplateId, templateId } from "../../provider/image-template/address";
import { minimalArgs } from "./fixtures/args";

// Microsoft's official request/response examples, kept in the repository (see reference/README.md).
const EXAMPLES = path.resolve(__dirname, "../../reference/imagebuilder-2025-10-01/examples");

interface Example {
  file: string;
  operationId: string;
  parameters: Record<string, unknown> & { parameters?: Record<string, unknown> };
  responses: Record<string, { body?: Record<string, unknown> }>;
}

const examples: Example[] = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith(".json"))
  .map((file) => ({ file, ...JSON.parse(readFileSync(path.join(EXAMPLES, file), "utf8")) }));

type Json = Record<string, unknown>;

/** Wire JSON (properties nested) -> the SDK's flattened model, as its deserializer does. */
function fromWire(body: Json): ImageTemplate {
  const { properties, ...rest } = body;
  return { ...rest, ...(properties as Json) } as unknown as ImageTemplate;
}

/** The SDK's flattened model -> wire JSON, as its serializer does. */
function toWire(model: ImageTemplate): Json {
  const { location, tags, identity, ...properties } = model as unknown as Json;
  return JSON.parse(JSON.stringify({ location, tags, identity, properties }));
}

const templateRequests = examples.filter(
  (e) => e.operationId === "VirtualMachineImageTemplates_CreateOrUpdate" && e.parameters.parameters,
);
const updateRequests = examples.filter((e) => e.operationId === "VirtualMachineImageTemplates_Update");

describe("mapping: official request examples round-trip", () => {
  it("finds every image-template request example with a body", () => {
    const withBody = examples.filter(
      (e) => e.parameters.parameters && e.operationId.startsWith("VirtualMachineImageTemplates_"),
    );
    assert.deepEqual(
      withBody.map((e) => e.file).sort(),
      [...templateRequests, ...updateRequests].map((e) => e.file).sort(),
    );
    assert.equal(templateRequests.length, 2);
    assert.equal(updateRequests.length, 3);
  });

  for (const example of templateRequests) {
    it(`PUT body of ${example.file}: ARM -> args -> ARM is the identity`, () => {
      const body = example.parameters.parameters as Json;
      const args = argsFromImageTemplate(fromWire(body)) as unknown as ImageTemplateInputs;
      assert.equal(args.identityUserAssignedIdentity?.length, 1);
      assert.deepEqual(toWire(toImageTemplate(args)), body);
    });

    // The examples' responses leave out the request's tags (a quirk of the examples), so tag is the one difference.
    it(`${example.file}: the service's answer (defaults filled in) differs from the request only by its tags`, () => {
      const p = example.parameters;
      const address = {
        subscriptionId: String(p.subscriptionId),
        resourceGroupName: String(p.resourceGroupName),
        imageTemplateName: String(p.imageTemplateName),
      };
      const requested = { ...argsFromImageTemplate(fromWire(p.parameters as Json)), ...address };
      const answer = example.responses["201"]?.body ?? example.responses["200"].body!;
      const served = argsFromImageTemplate(fromWire(answer));
      assert.equal(served.tag, undefined);
      assert.deepEqual(diffInputs(requested, { ...served, tag: requested.tag }), {
        changes: false,
        replaces: [],
        updates: [],
        deleteBeforeReplace: false,
      });
    });
  }

  for (const example of updateRequests) {
    it(`PATCH body of ${example.file}: ARM -> args -> ARM is the identity`, () => {
      const body = example.parameters.parameters as ImageTemplateUpdateParameters;
      // A PATCH body holds the same members at the same paths as a PUT body.
      const args = argsFromImageTemplate(fromWire(body as Json));
      const changed = new Set(Object.keys(args) as ArgKey[]);
      assert.deepEqual(JSON.parse(JSON.stringify(toUpdateParameters({}, args, changed))), body);
    });
  }
});

describe("mapping: details", () => {
  it("derives the identity type from the ids and sends None without ids", () => {
    const args = minimalArgs() as unknown as ImageTemplateInputs;
    assert.equal(toImageTemplate(args).identity.type, "UserAssigned");
    assert.deepEqual(toImageTemplate({ ...args, identityUserAssignedIdentity: undefined }).identity, { type: "None" });
  });

  it("omits vmProfile when no vmProfile argument is set, and nests vnetConfig only when needed", () => {
    const args = minimalArgs() as unknown as ImageTemplateInputs;
    assert.equal(toImageTemplate(args).vmProfile, undefined);
    assert.deepEqual(toImageTemplate({ ...args, vmProfileVmsize: "Standard_D2s_v3" }).vmProfile, {
      vmSize: "Standard_D2s_v3",
    });
  });

  it("PATCHes the whole vmProfile and resets members the program removed", () => {
    const olds = {
      ...minimalArgs(),
      vmProfileVmsize: "Standard_D4s_v3",
      vmProfileOsdiskSizeGb: 128,
    } as unknown as ImageTemplateInputs;
    const news = { ...minimalArgs(), vmProfileOsdiskSizeGb: 256 } as unknown as ImageTemplateInputs;
    const body = toUpdateParameters(olds, news, new Set<ArgKey>(["vmProfileVmsize", "vmProfileOsdiskSizeGb"]));
    assert.deepEqual(body, { properties: { vmProfile: { vmSize: "", osDiskSizeGB: 256 } } });
  });

  it("PATCHes removed tags as an empty map and sends only what changed", () => {
    const olds = { ...minimalArgs(), tag: { a: "b" } } as unknown as ImageTemplateInputs;
    const news = minimalArgs() as unknown as ImageTemplateInputs;
    assert.deepEqual(toUpdateParameters(olds, news, new Set<ArgKey>(["tag"])), { tags: {} });
  });

  it("strips read-only members from the arguments and exposes them as outputs", () => {
    const served = fromWire({
      id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.VirtualMachineImages/imageTemplates/t",
      location: "westus",
      identity: { type: "None" },
      properties: {
        source: {
          type: "PlatformImage",
          publisher: "p",
          offer: "o",
          sku: "s",
          version: "latest",
          exactVersion: "1.2.3",
        },
        distribute: [],
        provisioningState: "Failed",
        provisioningError: { provisioningErrorCode: "BadPIRSource", message: "no such image" },
        lastRunStatus: {
          runState: "Succeeded",
          runSubState: "Distributing",
          message: "done",
          startTime: new Date("2026-01-01T00:00:00Z"),
          endTime: new Date("2026-01-01T01:00:00Z"),
        },
        exactStagingResourceGroup: "/subscriptions/s/resourceGroups/IT_rg_t",
      },
    });
    assert.deepEqual((argsFromImageTemplate(served).source as Json).exactVersion, undefined);
    assert.deepEqual(argsFromImageTemplate(served).imageTemplateName, "t");
    assert.deepEqual(outputsFromImageTemplate(served), {
      resourceId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.VirtualMachineImages/imageTemplates/t",
      provisioningState: "Failed",
      provisioningErrorCode: "BadPIRSource",
      provisioningErrorMessage: "no such image",
      lastRunStatusRunState: "Succeeded",
      lastRunStatusRunSubState: "Distributing",
      lastRunStatusStartTime: "2026-01-01T00:00:00.000Z",
      lastRunStatusEndTime: "2026-01-01T01:00:00.000Z",
      lastRunStatusMessage: "done",
      exactStagingResourceGroup: "/subscriptions/s/resourceGroups/IT_rg_t",
      sourceExactVersion: "1.2.3",
    });
  });

  it("reads the service's endTime of a build still running or canceling (0001-01-01T00:00:00Z) as not ended", () => {
    for (const runState of ["Running", "Canceling"]) {
      const outputs = outputsFromImageTemplate({
        lastRunStatus: {
          runState,
          message: "",
          startTime: new Date("2026-01-01T00:00:00Z"),
          endTime: new Date("0001-01-01T00:00:00Z"),
        },
      } as ImageTemplate);
      assert.deepEqual(outputs, {
        lastRunStatusRunState: runState,
        lastRunStatusStartTime: "2026-01-01T00:00:00.000Z",
        lastRunStatusMessage: "",
      });
    }
  });

  it("builds and parses template ids", () => {
    const a = { subscriptionId: "s", resourceGroupName: "rg", imageTemplateName: "t" };
    assert.deepEqual(parseTemplateId(templateId(a)), a);
    assert.deepEqual(parseTemplateId(templateId(a).toLowerCase()), {
      subscriptionId: "s",
      resourceGroupName: "rg",
      imageTemplateName: "t",
    });
    assert.equal(parseTemplateId("/subscriptions/s/resourceGroups/rg"), undefined);
  });
});
