/**
 * The symbol under which a stored record carries its JSON text (model/value-text.ts says why),
 * in a module of its own so that raw-record.ts can give a parsed record its text without an
 * import cycle.
 */
export const textKey: unique symbol = Symbol("opslog.text");

/** Gives a value that is about to be frozen its JSON `text` (which must be its exact JSON). */
export function attachText(value: object, text: string): void {
  Object.defineProperty(value, textKey, { value: text });
}
