import { valueText } from "../../model/value-text.js";

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

type Plain = Record<string, unknown>;

function isPlainObject(value: unknown): value is Plain {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A delta this small is written without measuring `prev`: serialising the previous value only to
 * compare sizes would double the encoding work of every update on the write path.
 */
export const deltaBytesSmall = 128;

/** The delta from `data` back to `prev`, when it is small or less than half the size of `prev`. */
export function prevDelta(prev: unknown, data: unknown): PrevDelta | undefined {
  if (!isPlainObject(prev) || !isPlainObject(data)) return undefined;
  const keys = Object.keys(prev);
  if (keys.length < deltaKeysMin) return undefined;
  // Most updates that change more than half the fields are stored whole: find the changed keys
  // (stopping past half) before building anything.
  const changedKeys: string[] = [];
  for (const key of keys) {
    if ((!(key in data) || !jsonEqual(prev[key], data[key])) && changedKeys.push(key) * 2 > keys.length) {
      return undefined;
    }
  }
  const changed = changedKeys.length;
  const unset: string[] = [];
  for (const key of Object.keys(data)) if (!Object.hasOwn(prev, key)) unset.push(key);
  if ((changed + unset.length) * 2 > keys.length) return undefined;
  const set: Plain = {};
  for (const key of changedKeys) {
    Object.defineProperty(set, key, { value: prev[key], enumerable: true, writable: true, configurable: true });
  }
  const delta: PrevDelta = {};
  if (changed > 0) delta.set = set;
  if (unset.length > 0) delta.unset = unset;
  const rebuilt = Object.keys(applyDelta(data, delta) as Plain);
  if (rebuilt.some((key, i) => key !== keys[i])) delta.order = keys;
  const size = JSON.stringify(delta).length;
  if (size <= deltaBytesSmall && delta.order === undefined) return delta;
  if (size * 2 > valueText(prev).length) return undefined;
  return delta;
}

/** Rebuilds the previous value from the new value and its delta. */
export function applyDelta(data: unknown, delta: PrevDelta): unknown {
  const base = data as Plain;
  const result: Plain = {};
  const order = delta.order ?? [...Object.keys(base), ...Object.keys(delta.set ?? {})];
  const unset = new Set(delta.unset ?? []);
  for (const key of order) {
    if (unset.has(key) || Object.hasOwn(result, key)) continue;
    const value = delta.set && Object.hasOwn(delta.set, key) ? delta.set[key] : base[key];
    Object.defineProperty(result, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return result;
}

/** Deep equality of JSON values (key order ignored, as JSON object equality). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((key) => Object.hasOwn(b, key) && jsonEqual((a as Plain)[key], (b as Plain)[key]));
}
