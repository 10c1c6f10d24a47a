import { RawRecord } from "./raw-record.js";

/**
 * The JSON text of stored values, computed once. Stored values are deeply frozen, so the text
 * that encoded one for the log stays valid for every later snapshot and for the `prev` of the
 * operation that replaces it; keeping it spares re-serialising every record at each checkpoint.
 * Keyed weakly: the text goes when the value does.
 */
const texts = new WeakMap<object, string>();

/** JSON.stringify(value), from the cache when the value was encoded before. */
export function valueText(value: unknown): string {
  if (value instanceof RawRecord) return value.json;
  if (typeof value !== "object" || value === null) return JSON.stringify(value);
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
