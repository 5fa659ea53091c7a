import { BOUNDS } from "./bounds";
import type { Failure } from "./combinators";

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** A member name as a failure shows it: one too long for the bound is cut to its first 20 characters. */
const shown = (key: string) => (key.length > BOUNDS.memberName.max ? `${key.slice(0, 20)}…` : key);
const child = (path: string, key: string | number) =>
  typeof key === "number" ? `${path}[${key}]` : path === "" ? shown(key) : `${path}.${shown(key)}`;

export interface Shape {
  failures: Failure[];
  /** Top-level members refused as a whole (too deep, an over-long or forbidden member name): examine them no further. */
  unexamined: Set<string>;
}

interface Visit {
  value: object;
  path: string;
  level: number;
  top: string;
}

/**
 * What must hold before anything else looks into the arguments, checked in one walk with a stack of its own rather
 * than recursion (a value 10,000 levels deep would exhaust the call stack of every recursive check after it):
 * - at most `maxDepth` levels of objects and lists in each top-level member (BOUNDS.depth);
 * - member names of at most BOUNDS.memberName characters;
 * - no own key `__proto__`, `constructor` or `prototype` anywhere. The engine's struct decoding assigns keys one by
 *   one, so a `__proto__` member arrives as the object's prototype rather than as a key (and its members would be
 *   read as arguments): an object whose prototype is not Object.prototype is refused under that name too.
 * A member too deep or holding an over-long name is reported once, at the path where the bound is crossed.
 */
export function shapeFailures(bag: Record<string, unknown>, maxDepth: number = BOUNDS.depth.max): Shape {
  const failures: Failure[] = [];
  const unexamined = new Set<string>();
  const stack: Visit[] = [];
  const refuse = (top: string, failure: Failure) => {
    failures.push(failure);
    unexamined.add(top);
  };
  const forbidden = (property: string): Failure => ({ property, reason: "is not allowed as a property name" });
  // The path names where; the name itself is left out (it may be part of a secret value).
  const longName = (key: string): string =>
    `has a member name of ${key.length} characters; at most ${BOUNDS.memberName.max} are allowed`;
  const prototypeOf = (value: object, path: string) => {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) {
      failures.push(forbidden(child(path, "__proto__")));
    }
  };

  prototypeOf(bag, "");
  for (const key of Object.keys(bag).reverse()) {
    if (FORBIDDEN_KEYS.has(key)) refuse(key, forbidden(key));
    else if (key.length > BOUNDS.memberName.max) refuse(key, { property: shown(key), reason: longName(key) });
    else if (typeof bag[key] === "object" && bag[key] !== null) {
      stack.push({ value: bag[key] as object, path: key, level: 1, top: key });
    }
  }
  while (stack.length > 0) {
    const { value, path, level, top } = stack.pop()!;
    if (unexamined.has(top)) continue;
    if (level > maxDepth) {
      refuse(top, { property: path, reason: `nests deeper than ${maxDepth} levels of objects and lists` });
      continue;
    }
    prototypeOf(value, path);
    const entries: [string | number, unknown][] = Array.isArray(value)
      ? value.map((v, i): [number, unknown] => [i, v])
      : Object.entries(value);
    const children: Visit[] = [];
    for (const [key, member] of entries) {
      if (typeof key === "string" && FORBIDDEN_KEYS.has(key)) {
        failures.push(forbidden(child(path, key)));
      } else if (typeof key === "string" && key.length > BOUNDS.memberName.max) {
        refuse(top, { property: path, reason: longName(key) });
        break;
      } else if (typeof member === "object" && member !== null) {
        children.push({ value: member, path: child(path, key), level: level + 1, top });
      }
    }
    // Reversed onto the stack, so members are visited (and failures listed) in their order.
    stack.push(...children.reverse());
  }
  return { failures, unexamined };
}
