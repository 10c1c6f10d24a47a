import { freezeParsed } from "./value.js";

/**
 * A record still in the JSON text it was stored as. Opening a store keeps snapshot records as
 * text (a fraction of the memory of parsed objects, and no parsing at open); each is parsed and
 * frozen the first time it is read, and written back to a snapshot as the same text.
 */
export class RawRecord {
  constructor(readonly json: string) {}
}

/** The record `value` of `id`, parsed and frozen on first use (and kept so in `state`). */
export function recordAt(state: Map<string, unknown>, id: string, value: unknown = state.get(id)): unknown {
  if (value instanceof RawRecord) {
    const parsed = freezeParsed(JSON.parse(value.json) as unknown);
    state.set(id, parsed);
    return parsed;
  }
  return freezeParsed(value);
}

/** A value that may still be text, as a parsed (not necessarily frozen) value. */
export function parsedValue(value: unknown): unknown {
  return value instanceof RawRecord ? (JSON.parse(value.json) as unknown) : value;
}
