import { assert } from "../util/assert.js";
import { BTree } from "./btree.js";
import { compareKeys, MAX_KEY } from "./compare.js";
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
 * One declared index: a B+tree of entries [value…, id] in MongoDB's value order, and what each
 * record gave it (so a change replaces exactly the old entries, without reading the old
 * value). Entries are a superset: a record matching a range filter on the paths has an entry
 * in the range (path.ts proves it); while every record gives exactly one entry (no arrays),
 * the tree also gives the order of the records and exact counts.
 */
export class RecordIndex {
  readonly tree: BTree<IndexEntry>;
  private readonly held = new Map<string, Held>();
  /** Records that gave other than exactly one entry. */
  private multi = 0;
  /** Ids of overflowing records: every scan of this index reads them too. */
  readonly overflow = new Set<string>();

  constructor(readonly definition: IndexDefinition, tree?: BTree<IndexEntry>) {
    this.tree = tree ?? new BTree<IndexEntry>(compareKeys);
  }

  /** Builds the index of `records` (parsed values) in O(n log n), sorting once. */
  static build(definition: IndexDefinition, records: Iterable<readonly [string, unknown]>): RecordIndex {
    const all: IndexEntry[] = [];
    const index = new RecordIndex(definition, new BTree<IndexEntry>(compareKeys));
    for (const [id, value] of records) {
      const held = index.entriesOf(id, value);
      index.hold(id, held);
      if (held === overflowing) continue;
      if (held instanceof Entries) all.push(...held.list);
      else all.push(held);
    }
    all.sort(compareKeys);
    const built = new RecordIndex(definition, BTree.fromSorted(all, compareKeys));
    for (const [id, held] of index.held) built.hold(id, held);
    assert(built.tree.size === all.length, "the built tree holds every entry");
    return built;
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
    return this.held.size;
  }

  /** Re-indexes record `id` as `value` (undefined: the record is gone). */
  update(id: string, value: unknown): void {
    const before = this.held.get(id);
    if (value === undefined) {
      if (before !== undefined) this.drop(id, before);
      return;
    }
    const after = this.entriesOf(id, value);
    if (before !== undefined) {
      if (!(before instanceof Entries) && before !== overflowing && !(after instanceof Entries) && after !== overflowing) {
        if (compareKeys(before, after) === 0) return; // The indexed values did not change.
      }
      this.drop(id, before);
    }
    this.hold(id, after);
    this.insert(after);
  }

  /** The ids of records whose entry starts with `prefix` (unique checks). */
  *holders(prefix: readonly unknown[]): IterableIterator<string> {
    for (const entry of this.tree.range({ key: prefix, inclusive: true }, { key: [...prefix, MAX_KEY], inclusive: true })) {
      yield entry[entry.length - 1] as string;
    }
  }

  /** The entries record `id` gives, without its id (unique checks of a value not yet written). */
  keysOf(value: unknown): readonly (readonly unknown[])[] | undefined {
    const held = this.entriesOf("", value);
    if (held === overflowing) return undefined;
    const list = held instanceof Entries ? held.list : [held];
    return list.map((entry) => entry.slice(0, -1));
  }

  private entriesOf(id: string, value: unknown): Held {
    const paths = this.definition.paths;
    if (paths.length === 1) {
      const { values, multi } = indexValues(value, paths[0]!);
      if (!multi && values.length === 1) return [values[0], id];
      return new Entries(dedupe(values.map((v) => [v, id])));
    }
    let combos: unknown[][] = [[]];
    let multi = false;
    for (const path of paths) {
      const found = indexValues(value, path);
      multi ||= found.multi || found.values.length !== 1;
      if (combos.length * found.values.length > entriesPerRecordMax) return overflowing;
      combos = combos.flatMap((combo) => found.values.map((v) => [...combo, v]));
    }
    for (const combo of combos) combo.push(id);
    if (!multi && combos.length === 1) return combos[0]!;
    return new Entries(dedupe(combos));
  }

  private hold(id: string, held: Held): void {
    assert(!this.held.has(id), "a record is held once");
    this.held.set(id, held);
    if (held === overflowing) this.overflow.add(id);
    if (held instanceof Entries || held === overflowing) this.multi++;
  }

  private insert(held: Held): void {
    if (held === overflowing) return;
    if (held instanceof Entries) {
      for (const entry of held.list) assert(this.tree.insert(entry), "an entry is new");
    } else {
      assert(this.tree.insert(held), "an entry is new");
    }
  }

  private drop(id: string, held: Held): void {
    this.held.delete(id);
    if (held === overflowing) {
      this.overflow.delete(id);
    } else if (held instanceof Entries) {
      for (const entry of held.list) assert(this.tree.delete(entry), "a held entry is in the tree");
    } else {
      assert(this.tree.delete(held), "a held entry is in the tree");
    }
    if (held instanceof Entries || held === overflowing) this.multi--;
    assert(this.multi >= 0, "multikey records are counted");
  }
}

/** Entries sorted, equal ones once (a record with [1, 1] gives the entry 1 once). */
function dedupe(entries: IndexEntry[]): IndexEntry[] {
  entries.sort(compareKeys);
  return entries.filter((entry, i) => i === 0 || compareKeys(entries[i - 1]!, entry) !== 0);
}
