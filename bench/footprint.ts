/**
 * Section 4: what the dynamic provider costs besides HTTP, vs a minimal no-op dynamic provider: cold start and peak
 * RSS of the provider host, `__provider` bytes per resource, and state bytes per template as the engine stored them.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { execChecked } from "../toolchain/exec";
import { benchTemplateArgs } from "./programs/template-args";
import type { BenchProject, VariantStacks } from "./project";
import type { HostReport } from "./provider-host";
import { loadInstalledCopy, noopProvider, serializedProvider, serializedProviderBytes } from "./provider-size";
import { interleaved, ratios, summarize, type Summary } from "./stats";

export interface Compared {
  imagebuilder: Summary;
  noop: Summary;
  ratio: Summary;
}

export interface ColdStart {
  processMs: Compared;
  providerMs: Compared;
  warmPerResourceMs: Compared;
  maxRssMb: Compared;
}

export async function coldStartSection(runs: number): Promise<ColdStart> {
  const installed = loadInstalledCopy();
  const work = mkdtempSync(path.join(tmpdir(), "imagebuilder-host-"));
  try {
    const files = { imagebuilder: path.join(work, "imagebuilder.js"), noop: path.join(work, "noop.js") };
    writeFileSync(files.imagebuilder, (await serializedProvider(installed.exports.imageTemplateProvider)).text);
    writeFileSync(files.noop, (await serializedProvider(noopProvider)).text);
    const inputs = path.join(work, "inputs.json");
    const args = benchTemplateArgs("00000000-0000-0000-0000-000000000001", "cold-start", { bench: "v1" });
    writeFileSync(inputs, JSON.stringify({ ...args, __pulumiName: "cold-start" }));
    const hostScript = path.join(__dirname, "provider-host.js");
    const reports: Record<"imagebuilder" | "noop", HostReport[]> = { imagebuilder: [], noop: [] };
    await interleaved(["imagebuilder", "noop"] as const, runs, async (variant) => {
      const out = await execChecked(process.execPath, [hostScript, files[variant], inputs], {
        cwd: installed.projectDir,
      });
      reports[variant].push(JSON.parse(out) as HostReport);
      return 0;
    });
    const compare = (pick: (r: HostReport) => number): Compared => {
      const a = reports.imagebuilder.map(pick);
      const b = reports.noop.map(pick);
      return { imagebuilder: summarize(a), noop: summarize(b), ratio: summarize(ratios(a, b)) };
    };
    return {
      processMs: compare((r) => r.processMs),
      providerMs: compare((r) => r.providerMs),
      warmPerResourceMs: compare((r) => r.warmPerResourceMs),
      maxRssMb: compare((r) => r.maxRssKb / 1024),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
    installed.dispose();
  }
}

export interface StateBytes {
  /** `__provider` as serialized for a resource: installed package, no-op provider, and from a checkout. */
  providerBytes: { imagebuilder: number; noop: number; checkout: number };
  /** Bytes of one resource entry in the checkpoint (JSON as the file backend writes it), per template. */
  statePerTemplate: { imagebuilder: number; noop: number; templates: number };
  /** `__provider` bytes in the state's outputs, per ImageTemplate (must equal providerBytes.imagebuilder). */
  providerInState: number;
}

interface CheckpointResource {
  type: string;
  outputs?: { __provider?: string };
}

/** Reads both N-template stacks of the preview section and the serialized provider sizes. */
export async function stateBytes(project: BenchProject, stacks: VariantStacks): Promise<StateBytes> {
  const perTemplate = async (variant: "imagebuilder" | "noop") => {
    const { stack, settings } = stacks[variant];
    const exported = JSON.parse(await project.pulumi(stack, settings, "stack", "export")) as {
      deployment: { resources: CheckpointResource[] };
    };
    const mine = exported.deployment.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic"));
    if (mine.length !== settings.count) throw new Error(`${stack}: ${mine.length} dynamic resources in state`);
    const bytes = mine.map((r) => Buffer.byteLength(JSON.stringify(r, null, 4)));
    return { bytes: bytes.reduce((a, b) => a + b, 0) / bytes.length, provider: mine[0].outputs?.__provider ?? "" };
  };
  const ours = await perTemplate("imagebuilder");
  const noop = await perTemplate("noop");
  return {
    providerBytes: await serializedProviderBytes().then((b) => ({
      imagebuilder: b.ours,
      noop: b.noop,
      checkout: b.checkout,
    })),
    statePerTemplate: { imagebuilder: ours.bytes, noop: noop.bytes, templates: stacks.imagebuilder.settings.count },
    providerInState: Buffer.byteLength(ours.provider),
  };
}
