/**
 * The ids a Records query matches, in id order, cached per (query, store seq), so that paging
 * by offset through 1,000,000 rows costs O(limit) a page after the first.
 *
 * The list of every id (the base) is built once (one pass over the records and one sort) and
 * then kept current from the change feed's history: when the seq moved, the operations since
 * are read (store.getOps(seq)) and only the ids they touched are inserted or removed. A query
 * with `id` only is a filter of the base (no sort); one with a find() filter asks find(),
 * which returns ids in id order, once per seq. Nothing here sorts on a request whose seq did
 * not move.
 */
import type { AnyStore, Filter, Operation } from "../../cli/engine.js";
import { assert } from "../../util/assert.js";
import { storeCall } from "./http-errors.js";

export interface RecordsQuery {
  where?: Filter | undefined;
  /** Case-sensitive substring of the id. */
  id?: string | undefined;
}

interface CachedList {
  seq: number;
  ids: string[];
}

/** Queries whose lists are kept; the oldest is dropped first. */
const derivedListsMax = 16;
/** Changed ids up to which they are spliced in; past it the lists are merged. */
const spliceIdsMax = 32;

/** The first index in sorted `ids` whose id is not below `id` (UTF-16 code unit order). */
export function lowerBound(ids: readonly string[], id: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ids[mid] as string) < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Every id of a state, in id order: one sort, and no record read (ids() parses nothing). */
export function sortedIds(source: Pick<AnyStore, "ids">): string[] {
  // The default sort compares UTF-16 code units: find()'s own id order.
  return source.ids().sort();
}

export class IdLists {
  private base: CachedList | undefined;
  private readonly derived = new Map<string, CachedList>();
  /** How the base list was last brought up to date, for the benchmark and tests. */
  lastRefresh: "built" | "incremental" | "current" = "current";

  constructor(private readonly store: AnyStore) {}

  /** The ids matching `query` now, in id order. Treat the array as read-only. */
  ids(query: RecordsQuery): readonly string[] {
    const base = this.current();
    if (query.where === undefined && query.id === undefined) return base.ids;
    const key = JSON.stringify([query.where ?? null, query.id ?? null]);
    const cached = this.derived.get(key);
    if (cached !== undefined && cached.seq === base.seq) return cached.ids;
    const ids = this.matching(query, base.ids);
    this.derived.delete(key);
    this.derived.set(key, { seq: base.seq, ids });
    if (this.derived.size > derivedListsMax) {
      this.derived.delete(this.derived.keys().next().value as string);
    }
    return ids;
  }

  private matching(query: RecordsQuery, all: readonly string[]): string[] {
    const part = query.id;
    let ids: string[];
    if (query.where === undefined) {
      ids = all.slice();
    } else {
      const where = query.where;
      ids = storeCall("where", () => this.store.find({ where }).ids);
    }
    return part === undefined ? ids : ids.filter((id) => id.includes(part));
  }

  /** The base list at the store's seq now: built, or brought up to date from the history. */
  private current(): CachedList {
    const seq = this.store.stats().seq;
    const base = this.base;
    if (base !== undefined && base.seq === seq) {
      this.lastRefresh = "current";
      return base;
    }
    const updated = base === undefined ? undefined : this.updated(base, seq);
    this.lastRefresh = updated === undefined ? "built" : "incremental";
    this.base = updated ?? { seq, ids: sortedIds(this.store) };
    assert(this.base.ids.length === this.store.count(), "the id list has every record once");
    return this.base;
  }

  /** `base` moved to `seq` by the operations since, or undefined when a rebuild is cheaper. */
  private updated(base: CachedList, seq: number): CachedList | undefined {
    if (seq < base.seq) return undefined;
    // Past a fraction of the records, one sort of them all costs less than the merge.
    if (seq - base.seq > Math.max(1024, base.ids.length / 4)) return undefined;
    let ops: Operation[];
    try {
      ops = this.store.getOps(base.seq);
    } catch {
      return undefined;
    }
    // Pruned history (a gap) or a state not at the history's end: start over.
    if (ops.length !== seq - base.seq) return undefined;
    if (ops.length > 0 && ops[0]?.seq !== base.seq + 1) return undefined;
    const exists = new Map<string, boolean>();
    for (const op of ops) exists.set(op.id, op.op === "set");
    const ids = exists.size <= spliceIdsMax ? spliced(base.ids, exists) : merged(base.ids, exists);
    if (ids.length !== this.store.count()) return undefined;
    return { seq, ids };
  }
}

/** Few changes: each inserted or removed in place (a copy first: pages may hold the old). */
function spliced(old: readonly string[], exists: ReadonlyMap<string, boolean>): string[] {
  const ids = old.slice();
  for (const [id, present] of exists) {
    const at = lowerBound(ids, id);
    const here = ids[at] === id;
    if (present && !here) ids.splice(at, 0, id);
    if (!present && here) ids.splice(at, 1);
  }
  return ids;
}

/** Many changes: the new ids sorted, merged with the old in one pass, removed ones skipped. */
function merged(old: readonly string[], exists: ReadonlyMap<string, boolean>): string[] {
  const added = [...exists].filter(([, present]) => present).map(([id]) => id).sort();
  const ids: string[] = [];
  let a = 0;
  for (const id of old) {
    while (a < added.length && (added[a] as string) < id) ids.push(added[a++] as string);
    if (a < added.length && added[a] === id) a++;
    if (exists.get(id) !== false) ids.push(id);
  }
  while (a < added.length) ids.push(added[a++] as string);
  assert(ids.length <= old.length + added.length, "a merge adds only the added ids");
  return ids;
}
