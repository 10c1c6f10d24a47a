import { UniqueError } from "../errors.js";
import { parsedValue } from "../model/raw-record.js";
import { assert } from "../util/assert.js";
import { compareKeys } from "./compare.js";
import type { IndexDefinition } from "./index-def.js";
import { RecordIndex } from "./record-index.js";

/** What the indexes need of the record table: its records, and every change of them. */
export interface IndexedTable {
  readonly records: ReadonlyMap<string, unknown>;
  listen(listener: (id: string, before: unknown, after: unknown) => void): () => void;
}

/**
 * The declared indexes of one store. Built from the records at open, then kept current by the
 * record table, which reports every change: writes, reverts of failed writes, batch
 * rollbacks, undo and redo, staged writes of a shared log, and a follower's updates.
 */
export class IndexSet {
  private readonly byName = new Map<string, RecordIndex>();
  private readonly stop: () => void;

  private constructor(readonly list: readonly RecordIndex[], table: IndexedTable) {
    for (const index of list) this.byName.set(index.name, index);
    this.stop = table.listen((id, _before, after) => {
      const value = after === undefined ? undefined : parsedValue(after);
      for (const index of this.list) index.update(id, value);
    });
  }

  /**
   * Builds every index from the table's records, parsing each record once without keeping
   * the parsed value (the open stays lazy). Throws OPSLOG_UNIQUE when the data already gives a
   * unique index's value to two records.
   */
  static build(definitions: readonly IndexDefinition[], table: IndexedTable): IndexSet {
    const parsed = (function* () {
      for (const [id, value] of table.records) yield [id, parsedValue(value)] as const;
    })();
    let indexes: RecordIndex[];
    if (definitions.length === 1) {
      indexes = [RecordIndex.build(definitions[0]!, parsed)];
    } else {
      // Each record is parsed once for all the indexes.
      const records = definitions.length === 0 ? [] : Array.from(parsed);
      indexes = definitions.map((definition) => RecordIndex.build(definition, records));
    }
    for (const index of indexes) {
      assert(index.records === table.records.size, "an index holds every record");
      if (index.definition.unique) checkBuiltUnique(index);
    }
    return new IndexSet(indexes, table);
  }

  get(name: string): RecordIndex | undefined {
    return this.byName.get(name);
  }

  /** Throws OPSLOG_UNIQUE when writing `value` as record `id` would duplicate a unique value. */
  checkWrite(id: string, value: unknown): void {
    for (const index of this.list) {
      if (!index.definition.unique) continue;
      const keys = index.keysOf(value);
      if (keys === undefined) {
        throw new UniqueError(index.name, "(too many combinations)", id, id, "this record gives ");
      }
      for (const key of keys) {
        if (key.some((part) => part === null)) continue; // Null and missing are not constrained.
        for (const holder of index.holders(key)) {
          if (holder !== id) throw new UniqueError(index.name, key.length === 1 ? key[0] : key, holder, id);
        }
      }
    }
  }

  /** The first duplicate a unique index holds among records `ids` (after an undo/redo). */
  violation(ids: Iterable<string>, records: ReadonlyMap<string, unknown>): UniqueError | undefined {
    for (const id of ids) {
      const value = records.get(id);
      if (value === undefined) continue;
      try {
        this.checkWrite(id, parsedValue(value));
      } catch (error) {
        if (error instanceof UniqueError) return error;
        throw error;
      }
    }
    return undefined;
  }

  close(): void {
    this.stop();
  }
}

/** Adjacent entries of a unique index with the same values and no null: a duplicate. */
function checkBuiltUnique(index: RecordIndex): void {
  let last: readonly unknown[] | undefined;
  for (const entry of index.tree.range()) {
    const key = entry.slice(0, -1);
    if (last !== undefined && !key.some((part) => part === null) && compareKeys(last.slice(0, -1), key) === 0) {
      const shown = key.length === 1 ? key[0] : key;
      throw new UniqueError(index.name, shown, last[last.length - 1] as string, entry[entry.length - 1] as string, "the data breaks the ");
    }
    last = entry;
  }
}
