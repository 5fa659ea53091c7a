/**
 * Automation API stacks whose up, refresh and destroy answer from the run's own engine events. After each of them the
 * API runs the CLI again: `stack history` for the summary and, after an up, `stack output` twice (masked, then with
 * secrets) for the outputs. Each of those loads the stack and derives its passphrase key (a million PBKDF2 rounds), a
 * third of a second of CPU: over the suite, a fifth of its CLI starts. The engine's summary event carries the same
 * resource changes the history records, and the stack resource's outputs event its outputs; only outputs holding a
 * secret (masked in events) are still read with `stack output`.
 */
import type {
  DestroyOptions,
  EngineEvent,
  OpMap,
  OutputMap,
  RefreshOptions,
  Stack,
  UpdateSummary,
  UpOptions,
} from "@pulumi/pulumi/automation";

/** What a run's events tell of it; `result` is not among them: a run that failed rejected instead. */
export interface RunSummary {
  kind: "update" | "refresh" | "destroy";
  resourceChanges: OpMap;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  summary: RunSummary;
}

export type UpRunResult = RunResult & { outputs: OutputMap };

/** A Stack whose up, refresh and destroy results come from their events (the other members are the Stack's). */
export interface EngineStack extends Omit<Stack, "up" | "refresh" | "destroy"> {
  up(opts?: UpOptions): Promise<UpRunResult>;
  refresh(opts?: RefreshOptions): Promise<RunResult>;
  destroy(opts?: DestroyOptions): Promise<RunResult>;
}

/** The serialized form's mark of a secret (Pulumi's resource.SecretSig). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

const holdsSecret = (v: unknown): boolean =>
  typeof v === "object" && v !== null && (SECRET_SIG in v || Object.values(v).some(holdsSecret));

function summaryOf(kind: RunSummary["kind"], events: EngineEvent[]): RunSummary {
  const summary = events.find((e) => e.summaryEvent)?.summaryEvent;
  if (!summary) throw new Error(`the ${kind} ended without a summary event`);
  return { kind, resourceChanges: summary.resourceChanges };
}

/** The stack resource's outputs as its last outputs event holds them; undefined when one is a secret or there is none. */
function outputsOf(events: EngineEvent[]): OutputMap | undefined {
  const stackOutputs = events
    .map((e) => e.resOutputsEvent?.metadata)
    .filter((m) => m?.type === "pulumi:pulumi:Stack")
    .at(-1)?.new;
  if (!stackOutputs) return undefined;
  const outputs = (stackOutputs.outputs ?? {}) as Record<string, unknown>;
  if (holdsSecret(outputs)) return undefined;
  return Object.fromEntries(Object.entries(outputs).map(([k, value]) => [k, { value, secret: false }]));
}

/**
 * Runs `method` (the stack's own, of the SDK copy that made it) on a view of `self` whose `info` and `outputs`, which
 * the method calls once the CLI has exited, answer from the events this run sent.
 */
async function fromEvents<O extends { onEvent?: (e: EngineEvent) => void }, R>(
  self: Stack,
  method: (o: O) => Promise<unknown>,
  kind: RunSummary["kind"],
  opts: O | undefined,
): Promise<R> {
  const events: EngineEvent[] = [];
  const view = Object.create(self) as Stack;
  view.info = async () => summaryOf(kind, events) as unknown as UpdateSummary;
  view.outputs = async () => outputsOf(events) ?? self.outputs();
  const onEvent = (e: EngineEvent) => {
    events.push(e);
    opts?.onEvent?.(e);
  };
  // The SDK's result type, holding the summary above.
  return method.call(view, { ...opts, onEvent } as O) as Promise<R>;
}

/**
 * `stack` with up, refresh and destroy answering from their events. What the Stack's methods change (`rename` sets its
 * name) they change on this view, which each run's view inherits.
 */
export function engineStack(stack: Stack): EngineStack {
  const self = Object.create(stack) as EngineStack;
  const own = self as unknown as Stack;
  self.up = (opts) => fromEvents(own, stack.up, "update", opts);
  self.refresh = (opts) => fromEvents(own, stack.refresh, "refresh", opts);
  self.destroy = (opts) => fromEvents(own, stack.destroy, "destroy", opts);
  return self;
}
