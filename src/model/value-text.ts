import { RawRecord } from "./raw-record.js";
import { textKey } from "./text-key.js";
export { attachText } from "./text-key.js";

/**
 * The JSON text of stored values, computed once. Stored values are deeply frozen, so the text
 * that encoded one for the log stays valid for every later snapshot and for the `prev` of the
 * operation that replaces it; keeping it spares re-serialising every record at each checkpoint.
 *
 * A record stored by `set()` carries the text itself, in a
 * non-enumerable symbol-keyed property set before the record is frozen: JSON.stringify,
 * Object.keys, spreads and deep-equality checks do not see it, and reading it is a property
 * load. (A WeakMap did this before; its `set` cost about 1 µs per record on a bulk load, and its
 * ephemerons added to every garbage collection.) Other values fall back to a WeakMap: a record
 * parsed from a snapshot's text (RawRecord keeps that text; the WeakMap is filled only when an
 * update needs it as `prev`, so a first read stays a parse and a freeze), operations replayed
 * from the log, time-travel views.
 */
const texts = new WeakMap<object, string>();

/** JSON.stringify(value), from the cache when the value was encoded before. */
export function valueText(value: unknown): string {
  if (typeof value !== "object" || value === null) return JSON.stringify(value);
  const own = (value as { [textKey]?: string })[textKey];
  if (own !== undefined) return own;
  if (value instanceof RawRecord) return value.json;
  let text = texts.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    if (Object.isFrozen(value)) texts.set(value, text);
  }
  return text;
}

/** Records that `text` is the JSON of the frozen `value` (read from it, or written as it). */
export function rememberText(value: unknown, text: string): void {
  if (typeof value === "object" && value !== null && Object.isFrozen(value)) texts.set(value, text);
}

/**
 * Whether `value` has symbol-keyed properties other than the text opslog gave it: a record read
 * from the store carries that one, and writing it back (whole or nested) must not be refused.
 */
export function hasForeignSymbols(value: object): boolean {
  const symbols = Object.getOwnPropertySymbols(value);
  return symbols.length > 1 || (symbols.length === 1 && symbols[0] !== textKey);
}

/**
 * Whether `value` is a record toStoredRecord made: it carries its text and is deeply frozen.
 * A scan asks this of every record it hands out; a symbol load is far cheaper than
 * Object.isFrozen (about 2 ns against 15 ns a record, bench/scan-profile.mjs).
 */
export function isStoredRecord(value: unknown): boolean {
  // Not typeof: this sits in a scan's loop. Map values are never undefined; null is refused
  // here, and a primitive's symbol load is undefined.
  return value !== null && (value as { [textKey]?: string })[textKey] !== undefined;
}

