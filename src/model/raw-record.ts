import { freezeParsed } from "./freeze.js";

const unparsed: unique symbol = Symbol("unparsed");

/**
 * A record still in the JSON text it was stored as. Opening a store keeps snapshot records as
 * text (a fraction of the memory of parsed objects, and no parsing at open); each is parsed and
 * frozen the first time it is read and kept beside its text, which later snapshots write back
 * as it is.
 */
export class RawRecord {
  private value: unknown = unparsed;
  constructor(readonly json: string) {}

  /** The record, parsed and deep-frozen on first use. */
  read(): unknown {
    // Small enough to inline into a scan's loop: a record already read costs a field load.
    const value = this.value;
    return value === unparsed ? this.parse() : value;
  }

  private parse(): unknown {
    this.value = freezeParsed(JSON.parse(this.json) as unknown);
    return this.value;
  }
}

/** The record `value` of `id` as a frozen value (text is parsed on first use). */
export function recordAt(state: ReadonlyMap<string, unknown>, id: string, value: unknown = state.get(id)): unknown {
  if (value instanceof RawRecord) return value.read();
  return freezeParsed(value);
}

/** A value that may still be text, as a freshly parsed (not frozen, not shared) value. */
export function parsedValue(value: unknown): unknown {
  return value instanceof RawRecord ? (JSON.parse(value.json) as unknown) : value;
}
