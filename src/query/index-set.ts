import { InvalidValueError, UniqueError } from "../errors.js";
import { parsedValue } from "../model/raw-record.js";
import { assert } from "../util/assert.js";
import { compareKeys } from "./compare.js";
import type { IndexDefinition } from "./index-def.js";
import { entriesPerRecordMax, RecordIndex } from "./record-index.js";

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
    this.stop = table.listen((id, before, after) => {
      if (before === after) return;
      const old = before === undefined ? undefined : parsedValue(before);
      const value = after === undefined ? undefined : parsedValue(after);
      for (const index of this.list) index.update(id, old, value);
    });
  }

  /**
   * Builds every index from the table's records, parsing each record once without keeping
   * the parsed value (the open stays lazy). Throws OPSLOG_UNIQUE when the data already gives a
   * unique index's value to two records.
   */
  static build(definitions: readonly IndexDefinition[], table: IndexedTable): IndexSet {
    const builders = definitions.map((definition) => RecordIndex.builder(definition));
    if (builders.length > 0) {
      // One parse per record for all the indexes, dropped at once (the records stay text).
      for (const [id, value] of table.records) {
        const doc = parsedValue(value);
        for (const builder of builders) builder.add(id, doc);
      }
    }
    // Every id's rank in id order (code units, as compareValues orders strings), for sorting.
    const idRanks = new Map<string, number>();
    if (builders.length > 0) [...table.records.keys()].sort().forEach((id, rank) => idRanks.set(id, rank));
    const indexes = builders.map((builder) => builder.finish(idRanks));
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
        throw new InvalidValueError(
          "value",
          `gives the unique index ${JSON.stringify(index.name)} more than ${entriesPerRecordMax} combinations of values, which it cannot check`,
        );
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
  violation(ids: Iterable<string>, records: ReadonlyMap<string, unknown>): UniqueError | InvalidValueError | undefined {
    for (const id of ids) {
      const value = records.get(id);
      if (value === undefined) continue;
      try {
        this.checkWrite(id, parsedValue(value));
      } catch (error) {
        if (error instanceof UniqueError || error instanceof InvalidValueError) return error;
        throw error;
      }
    }
    return undefined;
  }

  close(): void {
    this.stop();
  }
}

/**
 * Adjacent entries of a unique index with the same values and no null: a duplicate. A record
 * with more combinations than an index holds cannot be checked: the open fails on it too.
 */
function checkBuiltUnique(index: RecordIndex): void {
  for (const id of index.overflow) {
    throw new InvalidValueError(
      `record ${JSON.stringify(id)}`,
      `gives the unique index ${JSON.stringify(index.name)} more than ${entriesPerRecordMax} combinations of values, which it cannot check (open without the index and change the record)`,
    );
  }
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
