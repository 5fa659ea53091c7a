import { isRpcSecret, specialSecretSig, specialSigKey, unwrapRpcSecret } from "@pulumi/pulumi/runtime/rpc";

/*
 * The plugin says it accepts secrets (the provider server's Configure answer), so the engine sends them wrapped and
 * takes back only what comes wrapped. The core works on plain values, as the dynamic provider host hands them: these
 * unwrap on the way in, remembering which top-level properties held a secret, and wrap those again on the way out.
 */

type Bag = Record<string, unknown>;

function unwrap(value: unknown, found: { secret: boolean }): unknown {
  if (isRpcSecret(value)) {
    found.secret = true;
    return unwrap(unwrapRpcSecret(value), found);
  }
  if (Array.isArray(value)) return value.map((v) => unwrap(v, found));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v, found)]));
  }
  return value;
}

/** The plain values of a property bag and the top-level properties that held a secret anywhere within. */
export function reveal(bag: unknown): { plain: Bag; secretKeys: string[] } {
  const plain: Bag = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries((bag ?? {}) as Bag)) {
    const found = { secret: false };
    plain[key] = unwrap(value, found);
    if (found.secret) secretKeys.push(key);
  }
  return { plain, secretKeys };
}

/**
 * A bag for the wire: `secretKeys` wrapped as secrets, undefined members dropped (a protobuf Struct has no undefined;
 * the core's bags are JSON values otherwise).
 */
export function conceal(bag: unknown, secretKeys: readonly string[]): Bag {
  const wire: Bag = {};
  for (const [key, value] of Object.entries((bag ?? {}) as Bag)) {
    if (value === undefined) continue;
    const json = JSON.parse(JSON.stringify(value)) as unknown;
    wire[key] = secretKeys.includes(key) ? { [specialSigKey]: specialSecretSig, value: json } : json;
  }
  return wire;
}
