import { assert } from "../util/assert.js";
import type { Bound } from "./btree.js";
import { conjunctionOf, describeInterval, intersect, inValuesMax, type Constraint, type Interval } from "./bounds.js";
import { MAX_KEY, rankArray, typeEnd, typeStart } from "./compare.js";
import type { QueryOrder } from "./order.js";
import type { IndexEntry, RecordIndex } from "./record-index.js";

/** A key range of an index: the entries lo ≤ entry ≤ hi. */
export interface EntryRange {
  readonly lo: Bound<IndexEntry>;
  readonly hi: Bound<IndexEntry>;
}

export interface IndexPlan {
  readonly kind: "index";
  readonly index: RecordIndex;
  /** Sorted, disjoint ranges. */
  readonly ranges: readonly EntryRange[];
  readonly descriptions: readonly string[];
  /** The values of the point prefix, when the walk gives the query's order. */
  readonly prefix: readonly unknown[];
  /** Walking the ranges gives the query's order (backwards when reverse). */
  readonly ordered: boolean;
  readonly reverse: boolean;
  /** The entries in the ranges are exactly the matching records: no record is read to decide. */
  readonly exact: boolean;
  /**
   * The entries decide the matches, but a record may have several (arrays): no record is read
   * to decide, and ids are counted once.
   */
  readonly distinct: boolean;
  /**
   * An ordered walk of a multikey index: a record is taken at the entry whose value is its sort
   * value (its smallest element ascending, its largest descending), and skipped at the others.
   */
  readonly sortCheck: boolean;
  /** Entries in the ranges (plus records kept aside): what the walk examines at most. */
  readonly entries: number;
  /** Estimated work, for choosing. */
  readonly cost: number;
}

export interface ScanPlan {
  readonly kind: "scan";
  readonly cost: number;
}

export type Plan = IndexPlan | ScanPlan;

/** What choosing a plan looks at. */
export interface PlanQuery {
  readonly where: unknown;
  readonly order: QueryOrder;
  readonly limit: number | undefined;
  /** The number of records (what a scan reads). */
  readonly records: number;
}

/**
 * Every way to serve the query, cheapest first: each index whose first paths the filter
 * constrains (or whose order is the query's), then a scan. Costs are entries or records read,
 * from the trees' exact range counts, plus sorting when the walk does not give the order.
 */
export function plans(indexes: readonly RecordIndex[], query: PlanQuery): Plan[] {
  const conjunction = conjunctionOf(query.where);
  const found: Plan[] = [];
  for (const index of indexes) {
    const plan = indexPlan(index, conjunction.constraints, conjunction.units, query);
    if (plan) found.push(plan);
  }
  const sortCost = (n: number): number => (query.order.keys.length === 0 && query.limit === undefined ? 0 : n * 0.3);
  found.push({ kind: "scan", cost: query.records * 1.5 + sortCost(query.records) });
  return found.sort((a, b) => a.cost - b.cost);
}

function indexPlan(index: RecordIndex, constraints: readonly Constraint[], units: number, query: PlanQuery): IndexPlan | undefined {
  const fields = index.definition.fields;
  const used = new Set<number>();
  let combos: unknown[][] = [[]];
  let pointFields = 0;
  let last: readonly Interval[] | undefined;
  let nullOnMultikey = false;
  for (const field of fields) {
    const on = constraints.filter((c) => c.path === field);
    if (on.length === 0) break;
    let intervals: readonly Interval[];
    if (index.exact) {
      // One value per record: every constraint on the path holds of that value, so they intersect.
      intervals = on.map((c) => c.intervals).reduce((a, b) => intersect(a, b));
      for (const c of on) used.add(c.unit);
    } else {
      // Several values per record: {a: {$gt: 5, $lt: 3}} matches [1, 9]; one constraint only.
      const chosen = on.find((c) => c.points) ?? on[0]!;
      intervals = chosen.intervals;
      used.add(chosen.unit);
      // Null entries also stand for paths that reach nothing through an array ({a: []} for
      // "a.b"), which a null filter does not match: on a multikey index the matcher decides.
      if (intervals.some((i) => i.lo === null || i.hi === null)) nullOnMultikey = true;
    }
    const points = intervals.length > 0 && intervals.every((i) => i.loInclusive && i.hiInclusive && i.lo === i.hi);
    if (points && combos.length * intervals.length <= inValuesMax) {
      combos = combos.flatMap((combo) => intervals.map((i) => [...combo, i.lo]));
      pointFields++;
      continue;
    }
    last = intervals;
    break;
  }
  const consumed = pointFields + (last ? 1 : 0);
  const sortCheck = !index.exact && servesMultikeyOrder(index, combos, pointFields, last, query.order);
  const ordered = sortCheck || servesOrder(index, combos.length, pointFields, query.order);
  if (consumed === 0 && !ordered) return undefined;
  const ranges = rangesOf(combos, last);
  let entries = index.overflow.size;
  for (const range of ranges) entries += index.tree.countRange(range.lo, range.hi);
  const decided = index.overflow.size === 0 && used.size === units && !nullOnMultikey;
  const exact = index.exact && decided;
  const distinct = !index.exact && decided;
  const reverse = ordered && query.order.idDirection === -1;
  const cost = planCost(entries, ordered, exact || distinct, query);
  const descriptions = describe(index, combos, last, pointFields);
  const prefix = combos[0]!;
  return { kind: "index", index, ranges, descriptions, prefix, ordered, reverse, exact, distinct, sortCheck, entries, cost };
}

/**
 * A multikey index gives a one-key order too, when the walk covers every entry of a single
 * point prefix (no range on the sort path) and no entry there holds an array (an empty or
 * nested one sorts apart from its entry): each record is taken at its sort value's entry.
 */
function servesMultikeyOrder(
  index: RecordIndex,
  combos: readonly unknown[][],
  pointFields: number,
  last: readonly Interval[] | undefined,
  order: QueryOrder,
): boolean {
  if (index.overflow.size > 0 || combos.length !== 1 || last !== undefined) return false;
  const fields = index.definition.fields;
  if (pointFields !== fields.length - 1) return false;
  // The sort is the one path after the prefix, alone: a prefix path is not constant here (a
  // record holding [0, -1] matches a = 0 and sorts at -1), so it cannot be dropped from the sort.
  const keys = order.keys;
  if (keys.length !== 1 || keys[0]!.field !== fields[pointFields]) return false;
  const prefix = combos[0]!;
  const lo = { key: [...prefix, typeStart(rankArray)], inclusive: true };
  const hi = { key: [...prefix, typeEnd(rankArray), MAX_KEY], inclusive: true };
  return index.tree.countRange(lo, hi) === 0;
}

function planCost(entries: number, ordered: boolean, exact: boolean, query: PlanQuery): number {
  const read = exact ? entries * 0.2 : entries * 1.1; // An exact plan reads only what it returns.
  const needsOrder = query.order.keys.length > 0 || query.limit !== undefined;
  if (ordered) {
    if (query.limit === undefined) return read;
    // Stops after `limit` matches: exactly there when exact; a guess (half way) otherwise.
    return exact ? Math.min(entries, query.limit + 1) * 0.2 : read / 2;
  }
  return read + (needsOrder ? entries * 0.3 : 0);
}

/**
 * The walk gives the query's order when the index has one entry per record, a single point
 * prefix, and its remaining paths are the sort keys not fixed by the prefix, all one way.
 */
function servesOrder(index: RecordIndex, combos: number, pointFields: number, order: QueryOrder): boolean {
  if (!index.exact || index.overflow.size > 0 || combos !== 1 || !order.uniform) return false;
  const fixed = new Set(index.definition.fields.slice(0, pointFields));
  const rest = index.definition.fields.slice(pointFields);
  const keys = order.keys.filter((k) => !fixed.has(k.field)).map((k) => k.field);
  return keys.length === rest.length && keys.every((field, i) => field === rest[i]);
}

function rangesOf(combos: readonly unknown[][], last: readonly Interval[] | undefined): EntryRange[] {
  const ranges: EntryRange[] = [];
  for (const combo of combos) {
    if (last === undefined) {
      ranges.push({ lo: { key: combo, inclusive: true }, hi: { key: [...combo, MAX_KEY], inclusive: true } });
      continue;
    }
    for (const interval of last) {
      const lo = interval.loInclusive ? [...combo, interval.lo] : [...combo, interval.lo, MAX_KEY];
      const hi = interval.hiInclusive ? [...combo, interval.hi, MAX_KEY] : [...combo, interval.hi];
      ranges.push({ lo: { key: lo, inclusive: interval.loInclusive }, hi: { key: hi, inclusive: interval.hiInclusive } });
    }
  }
  assert(ranges.length > 0 || (last !== undefined && last.length === 0), "a plan has ranges unless a constraint is empty");
  return ranges;
}

function describe(index: RecordIndex, combos: readonly unknown[][], last: readonly Interval[] | undefined, pointFields: number): string[] {
  const fields = index.definition.fields;
  const shown = combos.slice(0, 8).map((combo) => {
    const parts = combo.map((value, i) => `${fields[i]} = ${JSON.stringify(value)}`);
    if (last) parts.push(`${fields[pointFields]} in ${last.map(describeInterval).join(" ∪ ")}`);
    return parts.length === 0 ? "all entries" : parts.join(", ");
  });
  if (combos.length > 8) shown.push(`… ${combos.length - 8} more`);
  return shown;
}
