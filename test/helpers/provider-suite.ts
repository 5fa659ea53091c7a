import assert from "node:assert/strict";
import type * as pulumi from "@pulumi/pulumi";
import { imageTemplateProvider } from "../../provider";
import { emulatorForProvider, type TestEmulator } from "./emulator";

type Bag = Record<string, unknown>;

export interface ProviderSuite {
  provider: Required<pulumi.dynamic.ResourceProvider>;
  /** The suite's emulator (started in `before`, reset before each test). */
  emu(): TestEmulator;
  /** check as the engine calls it (news carry __provider); fails the test on any failure. */
  checked(news: Bag, olds?: Bag): Promise<Bag>;
}

/** Registers mocha hooks: an emulator for the suite, its environment for the provider, a reset before each test. */
export function providerSuite(): ProviderSuite {
  const emu = emulatorForProvider();
  const provider = imageTemplateProvider as Required<pulumi.dynamic.ResourceProvider>;
  return {
    provider,
    emu,
    async checked(news, olds = {}) {
      const { inputs, failures } = await provider.check(olds, { ...news, __provider: "serialized" });
      assert.deepEqual(failures ?? [], []);
      return JSON.parse(JSON.stringify(inputs));
    },
  };
}
