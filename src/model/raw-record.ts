import { freezeParsed } from "./freeze.js";
import { attachText, textKey } from "./text-key.js";

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
 * A value as a state map holds it: a RawRecord, or the value deeply frozen (in place). Every
 * value that enters a state map passes here (record-table.ts), so that recordAt hands values out
 * without a frozen check: Object.isFrozen cost about 0.4 µs a read of a record carrying its text
 * (2.6× the rest of a warm get(), .tmp measurements in bench/analysis.md "W5").
 */
export function asStoredEntry(value: unknown): unknown {
  // A record set() stored carries its text and is frozen: a symbol load says so (value-text.ts).
  if (value instanceof RawRecord) return value;
  if ((value as { [textKey]?: string } | null)?.[textKey] !== undefined) return value;
  return freezeParsed(value);
}

/**
 * The record `value` of `id` as a frozen value (text is parsed on first use). A record read from
 * text replaces its wrapper in a plain map: the same record, in the form set() stores (frozen,
 * carrying its text), so that later reads and scans skip the wrapper. The state does not
 * change, so nothing is reported (record-table.ts). Any other value is already frozen: state
 * maps hold only what asStoredEntry gave.
 */
export function recordAt(state: ReadonlyMap<string, unknown>, id: string, value: unknown = state.get(id)): unknown {
  if (value instanceof RawRecord) return readRaw(state, id, value);
  return value;
}

/** The first read of a record held as text (kept out of recordAt so that it stays small). */
function readRaw(state: ReadonlyMap<string, unknown>, id: string, raw: RawRecord): unknown {
  const parsed = raw.read();
  if (state instanceof Map && typeof parsed === "object" && parsed !== null) state.set(id, parsed);
  return parsed;
}

/** A value that may still be text, as a freshly parsed (not frozen, not shared) value. */
export function parsedValue(value: unknown): unknown {
  return value instanceof RawRecord ? (JSON.parse(value.json) as unknown) : value;
}
