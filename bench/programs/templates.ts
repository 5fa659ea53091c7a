/**
 * The benchmarked Pulumi program, copied into a generated project next to an installed copy of the package (so it
 * runs exactly as in a user's project). BENCH_TEMPLATES ImageTemplates, or the same inputs on a no-op dynamic
 * provider when BENCH_VARIANT=noop.
 */
import * as pulumi from "@pulumi/pulumi";
import { ImageTemplate } from "pulumi-azure-imagebuilder";
import { benchTemplateArgs, NOOP_PACKAGE, PROGRAM_ENV, type Variant } from "./template-args";

/** The latency-matched no-op provider (noop-provider.ts), installed in the project like this package. */
const noopProvider = require(NOOP_PACKAGE) as typeof import("./noop-provider");

class Noop extends pulumi.dynamic.Resource {
  constructor(name: string, args: Record<string, unknown>) {
    super(noopProvider, name, args, undefined, "bench", "Noop");
  }
}

const env = (name: string) => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const count = Number(env(PROGRAM_ENV.count));
const variant = env(PROGRAM_ENV.variant) as Variant;
const prefix = env(PROGRAM_ENV.prefix);
const tags = { bench: env(PROGRAM_ENV.tag) };
const subscriptionId = env("AZURE_SUBSCRIPTION_ID");

for (let i = 0; i < count; i++) {
  const name = `${prefix}-${i}`;
  const args = benchTemplateArgs(subscriptionId, name, tags);
  if (variant === "noop") new Noop(name, args);
  else new ImageTemplate(name, args);
}
