import { isJsonObject, sameJson, setOwn, type JsonObject } from "../../model/json-object.js";
import { valueText } from "../../model/value-text.js";
import { assert } from "../../util/assert.js";

/**
 * Reverse deltas (docs/FORMAT.md, "Compact previous values"): where an update changes a few
 * fields of a large object, the log stores how to turn the new value back into the previous one
 * instead of the whole previous value. Readers always rebuild the full `prev`.
 */
export interface PrevDelta {
  /** Fields whose previous value differs from (or is missing in) the new value. */
  set?: Record<string, unknown>;
  /** Fields the update added: absent from the previous value. */
  unset?: string[];
  /** The previous value's key order, when rebuilding would not restore it. */
  order?: string[];
}

/** Objects with fewer keys than this are stored whole: a delta could not be much smaller. */
export const deltaKeysMin = 4;

/**
 * A delta this small is written without measuring `prev`: serialising the previous value only to
 * compare sizes would double the encoding work of every update on the write path.
 */
export const deltaBytesSmall = 128;

/**
 * The delta from `data` back to `prev`, when it is small or less than half the size of `prev`,
 * and rebuilding `prev` from it gives back `prev`'s exact JSON text (else `prev` is stored whole).
 */
export function prevDelta(prev: unknown, data: unknown): PrevDelta | undefined {
  if (!isJsonObject(prev) || !isJsonObject(data)) return undefined;
  const keys = Object.keys(prev);
  if (keys.length < deltaKeysMin) return undefined;
  const changedKeys = changedFields(prev, data, keys);
  if (changedKeys === undefined) return undefined;
  const unset: string[] = [];
  for (const key of Object.keys(data)) if (!Object.hasOwn(prev, key)) unset.push(key);
  if ((changedKeys.length + unset.length) * 2 > keys.length) return undefined;
  const delta: PrevDelta = {};
  if (changedKeys.length > 0) {
    const set: JsonObject = {};
    for (const key of changedKeys) setOwn(set, key, prev[key]);
    delta.set = set;
  }
  if (unset.length > 0) delta.unset = unset;
  if (!sameKeys(rebuiltOrder(data, delta), keys)) delta.order = keys;
  const size = JSON.stringify(delta).length;
  const small = size <= deltaBytesSmall && delta.order === undefined;
  if (!small && size * 2 > valueText(prev).length) return undefined;
  // The delta is kept only when it provably gives back the exact text: a delta that lost a field
  // or a nested key order would change history for good, a whole prev costs only bytes.
  if (JSON.stringify(applyDelta(data, delta)) !== valueText(prev)) return undefined;
  return delta;
}

/**
 * The keys of `prev` whose value `data` lacks or holds differently (key order included), or
 * undefined once more than half of them have: most such updates are stored whole, so the search
 * stops there before anything is built.
 */
function changedFields(prev: JsonObject, data: JsonObject, keys: string[]): string[] | undefined {
  const changed: string[] = [];
  for (const key of keys) {
    if (Object.hasOwn(data, key) && sameJson(prev[key], data[key])) continue;
    if (changed.push(key) * 2 > keys.length) return undefined;
  }
  return changed;
}

/** The key order the default rebuild rule gives (data's keys, then set's, minus unset). */
function rebuiltOrder(data: JsonObject, delta: PrevDelta): string[] {
  const unset = delta.unset;
  const order = unset ? Object.keys(data).filter((key) => !unset.includes(key)) : Object.keys(data);
  for (const key of Object.keys(delta.set ?? {})) if (!Object.hasOwn(data, key)) order.push(key);
  return order;
}

function sameKeys(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Rebuilds the previous value from the new value and its delta (checked by deltaProblem when
 * read from disk). Every field comes from an own property of `delta.set` or of `data`.
 */
export function applyDelta(data: unknown, delta: PrevDelta): JsonObject {
  assert(isJsonObject(data), "a reverse delta is applied to a plain object");
  const set: JsonObject = delta.set ?? {};
  const unset = delta.unset ?? [];
  const result: JsonObject = {};
  const add = (key: string): void => {
    if (unset.includes(key) || Object.hasOwn(result, key)) return;
    setOwn(result, key, fieldOf(data, set, key));
  };
  if (delta.order) {
    for (const key of delta.order) add(key);
  } else {
    for (const key of Object.keys(data)) add(key);
    for (const key of Object.keys(set)) add(key);
  }
  return result;
}

function fieldOf(data: JsonObject, set: JsonObject, key: string): unknown {
  if (Object.hasOwn(set, key)) return set[key];
  if (Object.hasOwn(data, key)) return data[key];
  // Writers before issue 10 took the inherited Object.prototype of `data` for an own "__proto__"
  // field whose previous value was {} (the only value their equality found equal to it), and so
  // left that field out of `set`: its previous value was exactly {}.
  assert(key === "__proto__", `a reverse delta's key ${JSON.stringify(key)} is in set or data`);
  return {};
}

/** Why `delta` (as read from a log line, with its `data`) cannot be applied, or undefined. */
export function deltaProblem(data: unknown, delta: unknown): string | undefined {
  if (!isJsonObject(data)) return "prevDelta on a value that is not an object";
  if (!isJsonObject(delta)) return "prevDelta is not an object";
  const { set, unset, order } = delta;
  if (set !== undefined && !isJsonObject(set)) return "prevDelta.set is not an object";
  if (unset !== undefined && !isStringArray(unset)) return "prevDelta.unset is not a list of keys";
  if (order === undefined) return undefined;
  if (!isStringArray(order)) return "prevDelta.order is not a list of keys";
  for (const key of order) {
    if (key === "__proto__" || Object.hasOwn(data, key)) continue; // See fieldOf.
    if (set !== undefined && Object.hasOwn(set, key)) continue;
    return `prevDelta.order names ${JSON.stringify(key)}, which is in neither set nor data`;
  }
  return undefined;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}
