import { createHash } from "node:crypto";
import type { Json, JsonObject } from "./model";

/*
 * The files a template's steps download (Shell and PowerShell `scriptUri`, File `sourceUri`, in `customize` and
 * `validate.inVMValidations`) and their SHA-256, which the service computes when the template gives none. The
 * emulator reaches no network: tests register a URL's contents (startEmulator's `files`, admin `PUT /files`). A URL
 * nobody registered stands for a file whose checksum is derived from the URL, or, when the step gives a checksum, for
 * the file that checksum names (an assumption: emulator/README.md).
 */

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

/** A step that downloads a file: where it sits in the properties, its URL and the checksum it gives, if any. */
export interface Download {
  /** "customize/0", "validate.inVMValidations/2". */
  step: string;
  list: "customize" | "validate.inVMValidations";
  index: number;
  uri: string;
  /** The step's own checksum; undefined when absent or "". */
  given?: string;
}

const isObject = (v: Json | undefined): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

function downloadOf(step: Json, list: Download["list"], index: number): Download | undefined {
  if (!isObject(step)) return undefined;
  const uri =
    step.type === "File"
      ? step.sourceUri
      : ["Shell", "PowerShell"].includes(String(step.type))
        ? step.scriptUri
        : undefined;
  if (typeof uri !== "string" || uri === "") return undefined;
  const given = typeof step.sha256Checksum === "string" && step.sha256Checksum !== "" ? step.sha256Checksum : undefined;
  return { step: `${list}/${index}`, list, index, uri, given };
}

/** Every step of a template's properties that downloads a file, customizers first. */
export function downloadsOf(properties: JsonObject): Download[] {
  const customize = Array.isArray(properties.customize) ? properties.customize : [];
  const validate = isObject(properties.validate) ? properties.validate.inVMValidations : undefined;
  return [
    ...customize.map((s, i) => downloadOf(s, "customize", i)),
    ...(Array.isArray(validate) ? validate : []).map((s, i) => downloadOf(s, "validate.inVMValidations", i)),
  ].filter((d): d is Download => d !== undefined);
}

export class DownloadableFiles {
  /** SHA-256 (lower-case hex) of each registered URL's contents. */
  private readonly checksums = new Map<string, string>();

  /** `initial`: URL → contents, registered at start and again by reset. */
  constructor(private readonly initial: Record<string, string | Buffer> = {}) {
    this.reset();
  }

  register(uri: string, contents: string | Buffer): void {
    if (typeof uri !== "string" || !/^https?:\/\//i.test(uri)) throw new Error("uri must be an http(s) URL");
    this.checksums.set(uri, sha256(contents));
  }

  reset(): void {
    this.checksums.clear();
    for (const [uri, contents] of Object.entries(this.initial)) this.register(uri, contents);
  }

  /** The SHA-256 the service computes for the file at `uri`: of its registered contents, else derived from the URL. */
  checksumOf(uri: string): string {
    return this.checksums.get(uri) ?? sha256(`imagebuilder-emulator:unregistered:${uri}`);
  }

  /** The file's checksum when the step's own one names another file (only registered contents can contradict it). */
  mismatchOf(download: Download): string | undefined {
    const actual = this.checksums.get(download.uri);
    return download.given !== undefined && actual !== undefined && actual !== download.given.toLowerCase()
      ? actual
      : undefined;
  }

  /** What the service fills in at creation: the computed checksum of each downloading step that gives none. */
  computedFor(properties: JsonObject): Record<string, string> {
    return Object.fromEntries(
      downloadsOf(properties)
        .filter((d) => d.given === undefined)
        .map((d) => [d.step, this.checksumOf(d.uri)]),
    );
  }
}
