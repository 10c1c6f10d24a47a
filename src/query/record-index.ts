import { assert } from "../util/assert.js";
import { BTree, type Bound } from "./btree.js";
import { compareKeys, compareValues, EMPTY_ARRAY_SORT_KEY, MAX_KEY } from "./compare.js";
import type { IndexDefinition } from "./index-def.js";
import { indexValues } from "./path.js";

/** An index entry: the indexed values in the index's path order, then the record's id. */
export type IndexEntry = readonly unknown[];

/**
 * Most entries one record may give a compound index (the product of its array lengths over
 * the paths). A record beyond it is kept aside and read by every scan of the index instead.
 */
export const entriesPerRecordMax = 256;

/** What one record gives an index: usually one entry; several for arrays ("multikey"). */
class Entries {
  constructor(readonly list: readonly IndexEntry[]) {}
}
/** A record with more entries than entriesPerRecordMax: in no tree range, in every scan. */
const overflowing = Symbol("overflowing");
type Held = IndexEntry | Entries | typeof overflowing;

/**
 * One declared index: a B+tree of entries [value…, id] in MongoDB's value order. The record
 * table reports each change with the value before it, so a change removes exactly the entries
 * the old value gave (entries are a function of the value) and the index keeps nothing per
 * record besides its entries. Entries are a superset: a record matching a range filter on the
 * paths has an entry in the range (path.ts proves it); while every record gives exactly one
 * entry (no arrays), the tree also gives the order of the records and exact counts.
 */
export class RecordIndex {
  /** Records that gave other than exactly one entry. */
  private multi: number;
  /** Records indexed. */
  private count: number;
  /** The entries of each record that gave several (arrays): distinct counts correct for them. */
  private readonly multiple: Map<string, readonly IndexEntry[]>;

  private constructor(
    readonly definition: IndexDefinition,
    readonly tree: BTree<IndexEntry>,
    /** Ids of overflowing records: every scan of this index reads them too. */
    readonly overflow: Set<string>,
    multi: number,
    count: number,
    multiple: Map<string, readonly IndexEntry[]>,
  ) {
    this.multi = multi;
    this.count = count;
    this.multiple = multiple;
  }

  /** Collects the entries of every record, then builds the tree once, sorted (O(n log n)). */
  static builder(definition: IndexDefinition): { add(id: string, value: unknown): void; finish(idRanks: ReadonlyMap<string, number>): RecordIndex } {
    const all: IndexEntry[] = [];
    const overflow = new Set<string>();
    const multiple = new Map<string, readonly IndexEntry[]>();
    let multi = 0;
    let count = 0;
    return {
      add(id, value) {
        const held = entriesOf(definition, id, value);
        count++;
        if (held === overflowing) overflow.add(id);
        else if (held instanceof Entries) {
          all.push(...held.list);
          multiple.set(id, held.list);
        }
        else all.push(held);
        if (held === overflowing || held instanceof Entries) multi++;
      },
      finish(idRanks) {
        const sorted = sortEntries(all, idRanks);
        const tree = BTree.fromSorted(sorted, compareKeys);
        assert(tree.size === all.length, "the built tree holds every entry");
        all.length = 0;
        return new RecordIndex(definition, tree, overflow, multi, count, multiple);
      },
    };
  }

  get name(): string {
    return this.definition.name;
  }

  /** Every record gives exactly one entry: the tree orders the records and counts them. */
  get exact(): boolean {
    return this.multi === 0;
  }

  /** Records indexed. */
  get records(): number {
    return this.count;
  }

  /** Re-indexes record `id`, which was `before` and is now `after` (parsed; undefined: absent). */
  update(id: string, before: unknown, after: unknown): void {
    const old = before === undefined ? undefined : entriesOf(this.definition, id, before);
    const next = after === undefined ? undefined : entriesOf(this.definition, id, after);
    if (old !== undefined && next !== undefined && isSingle(old) && isSingle(next) && compareKeys(old, next) === 0) {
      return; // The indexed values did not change.
    }
    if (old instanceof Entries && next instanceof Entries) {
      this.move(old.list, next.list); // A long array: only what changed moves.
      this.multiple.set(id, next.list);
      return;
    }
    if (old !== undefined) this.drop(id, old);
    if (next !== undefined) this.add(id, next);
  }

  /**
   * The number of records with an entry in `ranges` (sorted, disjoint), from range counts
   * corrected by the records with several entries; undefined when those are too many to
   * correct for cheaply (walk the entries instead).
   */
  distinctCount(ranges: readonly { lo: Bound<IndexEntry>; hi: Bound<IndexEntry> }[]): number | undefined {
    if (this.overflow.size > 0 || this.multiple.size > distinctCorrectionsMax) return undefined;
    let count = 0;
    for (const range of ranges) count += this.tree.countRange(range.lo, range.hi);
    for (const entries of this.multiple.values()) {
      let inside = 0;
      for (const entry of entries) if (ranges.some((range) => within(entry, range.lo, range.hi))) inside++;
      if (inside > 1) count -= inside - 1;
    }
    assert(count >= 0, "a distinct count is not negative");
    return count;
  }

  /** The ids of records whose entry starts with `prefix` (unique checks). */
  *holders(prefix: readonly unknown[]): IterableIterator<string> {
    for (const entry of this.tree.range({ key: prefix, inclusive: true }, { key: [...prefix, MAX_KEY], inclusive: true })) {
      yield entry[entry.length - 1] as string;
    }
  }

  /** The entries `value` would give, without the id (unique checks of a value not yet written). */
  keysOf(value: unknown): readonly (readonly unknown[])[] | undefined {
    const held = entriesOf(this.definition, "", value);
    if (held === overflowing) return undefined;
    const list = held instanceof Entries ? held.list : [held];
    return list.map((entry) => entry.slice(0, -1));
  }

  /** Replaces one record's sorted entries `from` by `to`, touching only the difference. */
  private move(from: readonly IndexEntry[], to: readonly IndexEntry[]): void {
    let i = 0;
    let j = 0;
    while (i < from.length || j < to.length) {
      const order = i === from.length ? 1 : j === to.length ? -1 : compareKeys(from[i]!, to[j]!);
      if (order < 0) assert(this.tree.delete(from[i++]!), "a record's entries are in the tree");
      else if (order > 0) assert(this.tree.insert(to[j++]!), "an entry is new");
      else {
        i++;
        j++;
      }
    }
  }

  private add(id: string, held: Held): void {
    this.count++;
    if (held === overflowing) {
      assert(!this.overflow.has(id), "a record overflows once");
      this.overflow.add(id);
    } else if (held instanceof Entries) {
      for (const entry of held.list) assert(this.tree.insert(entry), "an entry is new");
      this.multiple.set(id, held.list);
    } else {
      assert(this.tree.insert(held), "an entry is new");
    }
    if (!isSingle(held)) this.multi++;
  }

  private drop(id: string, held: Held): void {
    this.count--;
    if (held === overflowing) {
      assert(this.overflow.delete(id), "an overflowing record was kept aside");
    } else if (held instanceof Entries) {
      for (const entry of held.list) assert(this.tree.delete(entry), "a record's entries are in the tree");
      this.multiple.delete(id);
    } else {
      assert(this.tree.delete(held), "a record's entry is in the tree");
    }
    if (!isSingle(held)) this.multi--;
    assert(this.multi >= 0 && this.count >= 0, "records are counted");
  }
}

/** Largest composite sort key a build packs into a double exactly. */
const packedKeyMax = 2 ** 52;

/**
 * Sorts entries for a build. The usual index (one entry per record, values that are numbers,
 * strings, booleans or null) is sorted without calling a comparator per pair: each value is
 * replaced by its rank among the column's distinct values and each id by its rank among the
 * ids, the ranks are packed into one number per entry, and a Float64Array sorts those
 * natively. Anything else (objects, arrays, several entries per record) sorts by compareKeys.
 */
function sortEntries(entries: IndexEntry[], idRanks: ReadonlyMap<string, number>): IndexEntry[] {
  const packed = entries.length > 1 ? packKeys(entries, idRanks) : undefined;
  if (packed === undefined) return entries.sort(compareKeys);
  const { keys, byId } = packed;
  keys.sort();
  const n = idRanks.size;
  const sorted = new Array<IndexEntry>(entries.length);
  for (let i = 0; i < keys.length; i++) sorted[i] = byId[keys[i]! % n]!;
  return sorted;
}

function packKeys(entries: readonly IndexEntry[], idRanks: ReadonlyMap<string, number>): { keys: Float64Array; byId: IndexEntry[] } | undefined {
  const width = entries[0]!.length - 1;
  const columns: Map<unknown, number>[] = [];
  let span = idRanks.size;
  for (let c = 0; c < width; c++) {
    const distinct = new Set<unknown>();
    for (const entry of entries) {
      const value = entry[c];
      if (typeof value === "object" && value !== null) return undefined;
      distinct.add(value);
    }
    const ranked = [...distinct].sort(compareValues);
    columns.push(new Map(ranked.map((value, rank) => [value, rank])));
    span *= ranked.length;
    if (span > packedKeyMax) return undefined;
  }
  const keys = new Float64Array(entries.length);
  const byId = new Array<IndexEntry>(idRanks.size);
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const idRank = idRanks.get(entry[width] as string);
    assert(idRank !== undefined, "an entry's id is a record");
    if (byId[idRank] !== undefined) return undefined; // Several entries for one record.
    byId[idRank] = entry;
    let key = 0;
    for (let c = 0; c < width; c++) key = key * columns[c]!.size + columns[c]!.get(entry[c])!;
    keys[i] = key * idRanks.size + idRank;
  }
  return { keys, byId };
}

/** Most records with several entries distinctCount() corrects for, one by one. */
const distinctCorrectionsMax = 4096;

function within(entry: IndexEntry, lo: Bound<IndexEntry>, hi: Bound<IndexEntry>): boolean {
  const low = compareKeys(entry, lo.key);
  const high = compareKeys(entry, hi.key);
  return (low > 0 || (low === 0 && lo.inclusive)) && (high < 0 || (high === 0 && hi.inclusive));
}

function isSingle(held: Held): held is IndexEntry {
  return held !== overflowing && !(held instanceof Entries);
}

/**
 * An empty array is entered as the value it sorts as (below null, as in MongoDB), so that an
 * index walk meets its record where a sort puts it; no scalar range reaches that value.
 */
function entryValue(value: unknown): unknown {
  return Array.isArray(value) && value.length === 0 ? EMPTY_ARRAY_SORT_KEY : value;
}

/** The entries record `id` with value `value` gives the index. */
function entriesOf(definition: IndexDefinition, id: string, value: unknown): Held {
  const paths = definition.paths;
  if (paths.length === 1) {
    const { values, multi } = indexValues(value, paths[0]!);
    if (!multi && values.length === 1) return [values[0], id];
    return new Entries(dedupe(values.map((v) => [entryValue(v), id])));
  }
  // The common case: one value per path, no arrays: one entry, built without combinations.
  const single: unknown[] = [];
  for (const path of paths) {
    const found = indexValues(value, path);
    if (found.multi || found.values.length !== 1) break;
    single.push(found.values[0]);
  }
  if (single.length === paths.length) {
    single.push(id);
    return single;
  }
  let combos: unknown[][] = [[]];
  let multi = false;
  for (const path of paths) {
    const found = indexValues(value, path);
    multi ||= found.multi || found.values.length !== 1;
    if (combos.length * found.values.length > entriesPerRecordMax) return overflowing;
    combos = combos.flatMap((combo) => found.values.map((v) => [...combo, entryValue(v)]));
  }
  for (const combo of combos) combo.push(id);
  if (!multi && combos.length === 1) return combos[0]!;
  return new Entries(dedupe(combos));
}

/** Entries sorted, equal ones once (a record with [1, 1] gives the entry 1 once). */
function dedupe(entries: IndexEntry[]): IndexEntry[] {
  entries.sort(compareKeys);
  return entries.filter((entry, i) => i === 0 || compareKeys(entries[i - 1]!, entry) !== 0);
}
