import { recordAt } from "../model/raw-record.js";
import { assert } from "../util/assert.js";
import type { Bound } from "./btree.js";
import { compareKeys, compareValues } from "./compare.js";
import { sortValue } from "./path.js";
import type { QueryOrder } from "./order.js";
import type { EntryRange, IndexPlan, Plan } from "./planner.js";
import type { IndexEntry } from "./record-index.js";

/** What running a plan needs: the records, the compiled filter, the order, the page. */
export interface Run {
  readonly records: ReadonlyMap<string, unknown>;
  readonly matches: (doc: unknown) => boolean;
  readonly order: QueryOrder;
  /** Items wanted; one more is looked for, to know whether a next page exists. */
  readonly limit: number | undefined;
  /** The key (sort values, id) the page starts after. */
  readonly after: readonly unknown[] | undefined;
}

export interface Found {
  readonly ids: string[];
  readonly items: unknown[];
  /** The key of the last item, when more items follow. */
  readonly nextKey: unknown[] | undefined;
  readonly examined: number;
  readonly matched: number;
}

/** Gives up (undefined) once `budget` entries were examined: a trial of an ordered plan. */
export function execute(plan: Plan, run: Run, budget = Infinity): Found | undefined {
  if (plan.kind === "index" && plan.ordered) return walkOrdered(plan, run, budget);
  const candidates = plan.kind === "scan" ? scan(run) : collect(plan, run);
  return page(candidates, run);
}

/** Counts the matching records; from the tree's counts alone when the plan is exact. */
export function countOf(plan: Plan, run: Omit<Run, "order" | "limit" | "after">): { count: number; examined: number; fromIndex: boolean } {
  if (plan.kind === "index" && plan.exact) {
    let count = 0;
    for (const range of plan.ranges) count += plan.index.tree.countRange(range.lo, range.hi);
    return { count, examined: 0, fromIndex: true };
  }
  if (plan.kind === "scan") {
    let count = 0;
    for (const [id, value] of run.records) if (run.matches(recordAt(run.records, id, value))) count++;
    return { count, examined: run.records.size, fromIndex: false };
  }
  if (plan.distinct) {
    const count = plan.index.distinctCount(plan.ranges);
    if (count !== undefined) return { count, examined: 0, fromIndex: true };
  }
  const { ids, examined } = collect(plan, run);
  return { count: ids.length, examined, fromIndex: plan.distinct };
}

/** Matching records: their ids, and their values where they were read to match (in step). */
interface Candidates {
  readonly ids: string[];
  readonly docs: unknown[] | undefined;
  readonly examined: number;
}

function scan(run: Run): Candidates {
  const ids: string[] = [];
  const docs: unknown[] = [];
  const records = run.records;
  for (const [id, value] of records) {
    const doc = recordAt(records, id, value);
    if (!run.matches(doc)) continue;
    ids.push(id);
    docs.push(doc);
  }
  return { ids, docs, examined: records.size };
}

/**
 * The matching records an (unordered) index plan finds, each once. An exact plan reads no
 * record: the entries decide, and only the records of the page are read later.
 */
function collect(plan: IndexPlan, run: Pick<Run, "records" | "matches">): Candidates {
  const ids: string[] = [];
  const docs: unknown[] | undefined = plan.exact || plan.distinct ? undefined : [];
  const seen = plan.index.exact ? undefined : new Set<string>();
  let examined = 0;
  const consider = (id: string): void => {
    if (seen) {
      if (seen.has(id)) return;
      seen.add(id);
    }
    if (docs === undefined) {
      ids.push(id);
      return;
    }
    const value = run.records.get(id);
    assert(value !== undefined, "an indexed id is a record");
    const doc = recordAt(run.records, id, value);
    if (!run.matches(doc)) return;
    ids.push(id);
    docs.push(doc);
  };
  for (const range of plan.ranges) {
    for (const entry of plan.index.tree.range(range.lo, range.hi)) {
      examined++;
      consider(entry[entry.length - 1] as string);
    }
  }
  for (const id of plan.index.overflow) {
    examined++;
    consider(id);
  }
  return { ids, docs, examined };
}

/** The values of `ids`, as handed out. */
function valuesOf(ids: readonly string[], records: ReadonlyMap<string, unknown>): unknown[] {
  const items = new Array<unknown>(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const value = records.get(ids[i]!);
    assert(value !== undefined, "a found id is a record");
    items[i] = recordAt(records, ids[i]!, value);
  }
  return items;
}

/** Sorts the candidates in memory and cuts the page after the cursor. */
function page(found: Candidates, run: Run): Found {
  if (run.order.keys.length === 0) return pageById(found, run);
  const order = run.order;
  const docs = found.docs ?? valuesOf(found.ids, run.records);
  let keyed = found.ids.map((id, i) => ({ id, doc: docs[i], key: order.keyOf(id, docs[i]) }));
  if (run.after) keyed = keyed.filter((k) => order.compare(k.key, run.after!) > 0);
  const matched = keyed.length;
  keyed.sort((a, b) => order.compare(a.key, b.key));
  const more = run.limit !== undefined && keyed.length > run.limit;
  if (more) keyed.length = run.limit!;
  const last = keyed[keyed.length - 1];
  return {
    ids: keyed.map((k) => k.id),
    items: keyed.map((k) => k.doc),
    nextKey: more && last ? last.key : undefined,
    examined: found.examined,
    matched,
  };
}

/**
 * No sort: the id order. Ids are sorted by the engine's own string order (no comparator: the
 * default sort compares strings by UTF-16 code units, as compareValues does), and only the
 * page's records are read.
 */
function pageById(found: Candidates, run: Run): Found {
  const after = run.after ? (run.after[0] as string) : undefined;
  const ids = after === undefined ? found.ids.slice() : found.ids.filter((id) => id > after);
  const matched = ids.length;
  ids.sort();
  const more = run.limit !== undefined && ids.length > run.limit;
  if (more) ids.length = run.limit!;
  const items = valuesOf(ids, run.records);
  return { ids, items, nextKey: more ? [ids[ids.length - 1]] : undefined, examined: found.examined, matched };
}

/** Walks an ordered plan's ranges in the query's order from the cursor, stopping at the page. */
function walkOrdered(plan: IndexPlan, run: Run, budget: number): Found | undefined {
  const ids: string[] = [];
  const items: unknown[] = [];
  const want = run.limit === undefined ? Infinity : run.limit + 1;
  const seek = run.after ? seekBound(plan, run) : undefined;
  let examined = 0;
  const ranges = plan.reverse ? [...plan.ranges].reverse() : plan.ranges;
  walk: for (const range of ranges) {
    const bounded = seek ? narrow(range, seek, plan.reverse) : range;
    if (!bounded) continue;
    for (const entry of plan.index.tree.range(bounded.lo, bounded.hi, plan.reverse)) {
      if (++examined > budget) return undefined;
      const id = entry[entry.length - 1] as string;
      const doc = recordAt(run.records, id);
      if (plan.sortCheck && !atSortValue(plan, run.order, entry, doc)) continue;
      if (!plan.exact && !plan.distinct && !run.matches(doc)) continue;
      ids.push(id);
      items.push(doc);
      if (ids.length >= want) break walk;
    }
  }
  const more = ids.length > (run.limit ?? Infinity);
  if (more) {
    ids.pop();
    items.pop();
  }
  const nextKey = more ? run.order.keyOf(ids[ids.length - 1]!, items[items.length - 1]) : undefined;
  return { ids, items, nextKey, examined, matched: ids.length + (more ? 1 : 0) };
}

/** Whether `entry` holds the record's sort value (a multikey walk takes a record there only). */
function atSortValue(plan: IndexPlan, order: QueryOrder, entry: IndexEntry, doc: unknown): boolean {
  const key = order.keys.find((k) => k.field === plan.index.definition.fields[plan.prefix.length])!;
  return compareValues(entry[plan.prefix.length], sortValue(doc, key.path, key.direction)) === 0;
}

/** The index entry a cursor's key stands for: the point prefix, the sort values, the id. */
function seekBound(plan: IndexPlan, run: Run): Bound<IndexEntry> {
  const fields = plan.index.definition.fields;
  const position = new Map(run.order.keys.map((k, i) => [k.field, i]));
  const after = run.after!;
  const key: unknown[] = [...plan.prefix];
  for (let i = plan.prefix.length; i < fields.length; i++) key.push(after[position.get(fields[i]!)!]);
  key.push(after[after.length - 1]);
  assert(key.length === fields.length + 1, "a seek key is a whole entry");
  return { key, inclusive: false };
}

/** The part of `range` strictly after the seek key, in the walk's direction. */
function narrow(range: EntryRange, seek: Bound<IndexEntry>, reverse: boolean): EntryRange | undefined {
  if (!reverse) {
    const lo = compareKeys(seek.key, range.lo.key) >= 0 ? seek : range.lo;
    return compareKeys(lo.key, range.hi.key) > 0 ? undefined : { lo, hi: range.hi };
  }
  const hi = compareKeys(seek.key, range.hi.key) <= 0 ? seek : range.hi;
  return compareKeys(hi.key, range.lo.key) < 0 ? undefined : { lo: range.lo, hi };
}
