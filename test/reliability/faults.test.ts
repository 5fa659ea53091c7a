/**
 * Every provider operation against an emulator that misbehaves: throttling with Retry-After, transient 500/503,
 * dropped connections, errors that never stop, a long-running operation that fails, and a token endpoint that is
 * down. Each operation must either succeed after retries or fail with a message saying what failed, and the emulator
 * must end with exactly the templates it should hold: none orphaned, duplicated or half-made.
 *
 * The provider runs in this process exactly as the engine's plugin runs it (the built dist/, env read at call time).
 */
import assert from "node:assert/strict";
import type * as pulumi from "@pulumi/pulumi";
import { imageTemplateProvider } from "../../provider";
import { DEFAULT_RETRY } from "../../provider/azure/tuning";
// The instance the provider really uses: it loads the built operations, and through them this module.
import { forgetConnections } from "pulumi-azure-imagebuilder/dist/provider/azure/client.js";
import type { FaultRule } from "../../emulator/faults";
import { templateArgs } from "../fixtures/template-args";
import { applyEmulatorEnv, startTestEmulator, trustEmulatorCertificate, type TestEmulator } from "../helpers/emulator";
import { recordFigure, suiteCommand } from "./summary";

type Bag = Record<string, unknown>;
type Expected = "present" | "absent" | "patched";
const provider = imageTemplateProvider as Required<pulumi.dynamic.ResourceProvider>;
const RG = "rg-faults";
const NAME = "tpl-fault";
/** Rounding of the request log's millisecond timestamps against the client's timer (ms). */
const ROUNDING_MS = 5;
const FAST_RETRIES = { AZURE_IMAGEBUILDER_RETRY_DELAY_MS: "10", AZURE_IMAGEBUILDER_MAX_RETRY_DELAY_MS: "40" };

interface Operation {
  name: "create" | "read" | "update" | "delete";
  /** The HTTP method of the operation's own ARM request. */
  method: string;
  /** Whether the template exists before the operation runs. */
  existing: boolean;
  /** What the emulator must hold after a success. */
  onSuccess: Expected;
}

const OPERATIONS: Operation[] = [
  { name: "create", method: "PUT", existing: false, onSuccess: "present" },
  { name: "read", method: "GET", existing: true, onSuccess: "present" },
  { name: "update", method: "PATCH", existing: true, onSuccess: "patched" },
  { name: "delete", method: "DELETE", existing: true, onSuccess: "absent" },
];

describe("reliability: provider operations under injected faults", function () {
  this.timeout(60_000);
  let emu: TestEmulator;
  let restoreEnv: () => void;
  const tally = { injected: 0, survived: 0, orphans: 0, halfMade: 0, duplicates: 0 };

  before(async () => {
    emu = await startTestEmulator();
    trustEmulatorCertificate(emu.caPem);
    restoreEnv = applyEmulatorEnv(emu);
  });
  after(async () => {
    restoreEnv?.();
    await emu?.stop();
    recordFigure("faults", {
      label: "Fault scenarios injected into create/read/update/delete (in-process provider) / survived",
      value: `${tally.survived} / ${tally.injected}`,
      expected: "all survived",
      command: suiteCommand("faults.test.ts"),
    });
    recordFigure("faults-orphans", {
      label: "Orphaned / duplicated / half-made templates after those faults",
      value: `${tally.orphans} / ${tally.duplicates} / ${tally.halfMade}`,
      expected: "0 / 0 / 0",
      command: suiteCommand("faults.test.ts"),
    });
  });
  beforeEach(async () => {
    tally.injected++;
    for (const key of Object.keys(FAST_RETRIES)) delete process.env[key];
    await emu.admin.reset();
  });

  const rgId = () => `/subscriptions/${emu.subscriptionId}/resourceGroups/${RG}`;
  const id = () => `${rgId()}/providers/Microsoft.VirtualMachineImages/imageTemplates/${NAME}`;
  const templatePath = new RegExp(`/imageTemplates/${NAME}$`);

  async function checked(tags: Record<string, string>, olds: Bag = {}): Promise<Bag> {
    const { inputs, failures } = await provider.check(olds, {
      ...templateArgs(emu.subscriptionId, RG, { imageTemplateName: NAME, tag: tags }),
      __provider: "serialized",
    });
    assert.deepEqual(failures ?? [], []);
    return inputs!;
  }

  /** Brings the template to the operation's starting point without faults, then returns a runner for it. */
  async function prepare(op: Operation): Promise<() => Promise<unknown>> {
    const inputs = await checked({ env: "test" });
    if (!op.existing) return () => provider.create(inputs);
    const outs = (await provider.create(inputs)).outs as Bag;
    await emu.admin.clearRequests();
    switch (op.name) {
      case "read":
        return async () => assert.equal((await provider.read(id(), outs)).id, id());
      case "update":
        return async () => provider.update(id(), outs, await checked({ env: "prod" }, inputs));
      default:
        return () => provider.delete(id(), outs);
    }
  }

  /** The emulator holds exactly what `expected` says, fully provisioned; counts any deviation before asserting. */
  async function assertEmulatorHolds(expected: Expected): Promise<void> {
    const held = (await emu.admin.state()).templates as { name: string; tags?: Bag; properties: Bag }[];
    const mine = held.filter((t) => t.name === NAME);
    tally.orphans += held.length - mine.length + (expected === "absent" ? mine.length : 0);
    tally.duplicates += Math.max(0, mine.length - 1);
    tally.halfMade += mine.filter((t) => t.properties.provisioningState !== "Succeeded").length;
    if (expected === "absent") return assert.deepEqual(held, []);
    assert.equal(held.length, 1);
    assert.equal(mine[0]?.properties.provisioningState, "Succeeded");
    assert.deepEqual(mine[0]?.tags, expected === "patched" ? { env: "prod" } : { env: "test" });
  }

  /** Log entries of the operation's own request, oldest first. */
  async function attempts(op: Operation) {
    const log = await emu.admin.requests();
    return log.filter((e) => e.kind === "arm" && e.method === op.method && templatePath.test(e.path));
  }
  const gap = (a: { time: string }, b: { time: string }) => Date.parse(b.time) - Date.parse(a.time);

  const inject = (rule: FaultRule) => emu.admin.injectFault(rule);

  for (const op of OPERATIONS) {
    describe(op.name, () => {
      const path = `/imageTemplates/${NAME}$`;

      it("honours 429 Retry-After: the retry comes after the delay, then succeeds", async () => {
        const run = await prepare(op);
        await inject({ method: op.method, path, kind: "throttle", count: 1, retryAfterSeconds: 1 });
        await run();
        const [throttled, retried] = await attempts(op);
        assert.deepEqual([throttled.status, retried.status >= 200 && retried.status < 300], [429, true]);
        const waited = gap(throttled, retried);
        // No request before the interval the service asked for; how much later depends on the machine's load.
        assert.ok(waited >= 1000 - ROUNDING_MS, `retried after ${waited} ms`);
        await assertEmulatorHolds(op.onSuccess);
        tally.survived++;
      });

      it("retries 500 then 503 with bounded exponential backoff, then succeeds", async () => {
        const run = await prepare(op);
        await inject({ method: op.method, path, kind: "error", status: 500, count: 1 });
        await inject({ method: op.method, path, kind: "error", status: 503, count: 1 });
        await run();
        const log = await attempts(op);
        assert.deepEqual(
          log.map((e) => (e.status >= 200 && e.status < 300 ? "ok" : e.status)),
          [500, 503, "ok"],
        );
        // Attempt n waits at least base*2^n/2 (the SDK's jittered exponential strategy); the emulator's log shows no
        // retry came sooner. Upper bounds are left out: a loaded machine only makes the gaps longer.
        const base = DEFAULT_RETRY.retryDelayInMs;
        const [first, second] = [gap(log[0], log[1]), gap(log[1], log[2])];
        assert.ok(first >= base / 2 - ROUNDING_MS, `first retry after ${first} ms`);
        assert.ok(second >= base - ROUNDING_MS, `second retry after ${second} ms`);
        await assertEmulatorHolds(op.onSuccess);
        tally.survived++;
      });

      it("retries a dropped connection, then succeeds", async () => {
        const run = await prepare(op);
        await inject({ method: op.method, path, kind: "drop", count: 1 });
        await run();
        assert.deepEqual(
          (await attempts(op)).map((e) => (e.status >= 200 && e.status < 300 ? "ok" : e.status)),
          [0, "ok"],
        );
        await assertEmulatorHolds(op.onSuccess);
        tally.survived++;
      });

      it(`gives up after ${DEFAULT_RETRY.maxRetries} retries of a lasting 500 with a clear error, changing nothing`, async () => {
        const run = await prepare(op);
        Object.assign(process.env, FAST_RETRIES);
        await inject({ method: op.method, path, kind: "error", status: 500, count: 100 });
        const verb = { create: "Creating", read: "Reading", update: "Updating", delete: "Deleting" }[op.name];
        await assert.rejects(
          run(),
          new RegExp(`${verb} image template "${NAME}" .*failed \\(InternalServerError, HTTP 500\\): Internal error`),
        );
        assert.equal((await attempts(op)).length, DEFAULT_RETRY.maxRetries + 1);
        await emu.admin.clearFaults();
        await assertEmulatorHolds(op.existing ? "present" : "absent");
        tally.survived++;
      });

      it("fails clearly when the token endpoint is down, naming the credential sources tried, and sends no ARM request", async () => {
        const run = await prepare(op);
        Object.assign(process.env, FAST_RETRIES);
        forgetConnections(); // a provider process starting while the token endpoint is down holds no token yet
        await inject({ method: "POST", path: "/oauth2/v2.0/token$", kind: "drop", count: 100 });
        await assert.rejects(run(), (e: Error) => {
          assert.match(
            e.message,
            /could not get an Azure token: authority https:\/\/127\.0\.0\.1:\d+; credential sources, in the order they are tried/,
          );
          assert.match(
            e.message,
            /1\. client secret \(ARM_CLIENT_SECRET \/ AZURE_CLIENT_SECRET\): failed: .*network_error/,
          );
          assert.match(e.message, /3\. Azure CLI \(az login\): not tried: an earlier source you configured failed/);
          return true;
        });
        const log = await emu.admin.requests();
        assert.deepEqual(
          log.filter((e) => e.kind === "arm"),
          [],
        );
        assert.equal(log.filter((e) => e.path.endsWith("/token")).length, DEFAULT_RETRY.maxRetries + 1);
        await emu.admin.clearFaults();
        await assertEmulatorHolds(op.existing ? "present" : "absent");
        tally.survived++;
      });
    });
  }

  describe("long-running operations that fail", () => {
    it("create: provisioning ends Failed; the error carries the service's message and the failed template is deleted", async () => {
      const run = await prepare(OPERATIONS[0]);
      await inject({
        method: "PUT",
        path: `/imageTemplates/${NAME}$`,
        kind: "failProvisioning",
        message: "source image not found",
      });
      await assert.rejects(
        run(),
        /Creating image template "tpl-fault" .* failed: provisioning error Other: source image not found\. The failed template was deleted; fix the cause and run pulumi up again\.$/,
      );
      await assertEmulatorHolds("absent");
      tally.survived++;
    });

    for (const op of OPERATIONS.filter((o) => o.name === "update" || o.name === "delete")) {
      it(`${op.name}: the operation monitor keeps failing; the error is clear and running ${op.name} again converges`, async () => {
        const run = await prepare(op);
        Object.assign(process.env, FAST_RETRIES);
        await inject({ method: "GET", path: "/operations/", kind: "error", status: 500, count: 100 });
        await assert.rejects(run(), /failed \(InternalServerError, HTTP 500\): Internal error occurred/);
        await emu.admin.clearFaults();
        // Pulumi keeps the old state after a failed step, so the next `pulumi up`/`destroy` runs the step again.
        await run();
        await assertEmulatorHolds(op.onSuccess);
        tally.survived++;
      });
    }
  });
});
