import { freezeParsed } from "./freeze.js";
import { attachText } from "./text-key.js";

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
    const parsed = JSON.parse(this.json) as unknown;
    // It carries its text as a record set() stored does, so that it can replace this wrapper.
    if (typeof parsed === "object" && parsed !== null) attachText(parsed, this.json);
    this.value = freezeParsed(parsed);
    return this.value;
  }
}

/**
 * The record `value` of `id` as a frozen value (text is parsed on first use). A record read from
 * text replaces its wrapper in a plain map: the same record, in the form set() stores (frozen,
 * carrying its text), so that later reads and scans skip the wrapper. The state does not
 * change, so nothing is reported (record-table.ts).
 */
export function recordAt(state: ReadonlyMap<string, unknown>, id: string, value: unknown = state.get(id)): unknown {
  if (value instanceof RawRecord) {
    const parsed = value.read();
    if (state instanceof Map && typeof parsed === "object" && parsed !== null) state.set(id, parsed);
    return parsed;
  }
  return freezeParsed(value);
}

/** A value that may still be text, as a freshly parsed (not frozen, not shared) value. */
export function parsedValue(value: unknown): unknown {
  return value instanceof RawRecord ? (JSON.parse(value.json) as unknown) : value;
}
