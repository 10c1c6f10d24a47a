import { InvalidArgumentError } from "../errors.js";
import { assert } from "../util/assert.js";
import { countOf, execute, type Found, type Run } from "./execute.js";
import { matcherFor } from "./matcher.js";
import { decodeCursor, encodeCursor, orderOf, type QueryOrder } from "./order.js";
import { plans, type Plan } from "./planner.js";
import type { RecordIndex } from "./record-index.js";
import type { FindResult, QueryPlan } from "./types.js";

/** Most items one page may hold. */
export const pageLimitMax = 1_000_000_000;
/** Items the iterator reads per page. */
export const iteratePageSize = 256;
/** How much each next page of an iterate() grows when no index gives the order. */
export const iteratePageGrowth = 4;

const queryKeys = new Set(["where", "sort", "limit", "after"]);

interface CheckedQuery {
  readonly where: unknown;
  readonly matches: (doc: unknown) => boolean;
  readonly order: QueryOrder;
  readonly limit: number | undefined;
  readonly after: readonly unknown[] | undefined;
}

/** Checks a find() query; OPSLOG_INVALID_ARGUMENT names what is wrong. */
export function checkQuery(query: unknown): CheckedQuery {
  if (query === undefined) query = {};
  if (typeof query !== "object" || query === null || Array.isArray(query)) {
    throw new InvalidArgumentError("a query must be an object: { where, sort, limit, after }");
  }
  for (const key of Object.keys(query)) {
    if (!queryKeys.has(key)) throw new InvalidArgumentError(`unknown query option ${JSON.stringify(key)} (use where, sort, limit, after)`);
  }
  const { where, sort, limit, after } = query as Record<string, unknown>;
  if (where === null) throw new InvalidArgumentError("where must be a filter object (leave it out to match every record)");
  const matches = matcherFor(where ?? {});
  const order = orderOf(sort);
  if (limit !== undefined && !(Number.isSafeInteger(limit) && (limit as number) >= 1 && (limit as number) <= pageLimitMax)) {
    throw new InvalidArgumentError("limit must be a whole number ≥ 1");
  }
  const key = after === undefined ? undefined : decodeCursor(order, after);
  return { where, matches, order, limit: limit as number | undefined, after: key };
}

/**
 * Queries over a state (a store's, with its indexes; a view's, without): chooses a plan from
 * the indexes' exact range counts, runs it, and pages with keyset cursors.
 */
export class Queries {
  constructor(
    private readonly records: () => ReadonlyMap<string, unknown>,
    private readonly indexes: readonly RecordIndex[] = [],
  ) {}

  find(query: unknown): FindResult<unknown> {
    const checked = checkQuery(query);
    const { found } = this.run(checked);
    return resultOf(found, checked.order);
  }

  count(where: unknown): number {
    const checked = checkQuery({ where });
    const plan = this.choose(checked, undefined)[0]!;
    return countOf(plan, { records: this.records(), matches: checked.matches }).count;
  }

  /** Every matching record, as [id, value], in order, a page at a time (see docs/QUERIES.md). */
  iterate(query: unknown): IterableIterator<[string, unknown]> {
    // Checked at the call, not at the first next().
    const checked = checkQuery(query);
    if (checked.limit !== undefined) throw new InvalidArgumentError("iterate() takes no limit: stop iterating instead");
    return this.pages(checked);
  }

  /** Each page is read through records(), which throws once the store is closed. */
  private *pages(checked: CheckedQuery): IterableIterator<[string, unknown]> {
    let after = checked.after;
    let pageSize = iteratePageSize;
    for (;;) {
      const { plan, found } = this.run({ ...checked, limit: pageSize, after });
      for (let i = 0; i < found.ids.length; i++) {
        if (i > 0) this.records(); // Throws once the store is closed: nothing outlives close().
        yield [found.ids[i]!, found.items[i]];
      }
      if (found.nextKey === undefined) return;
      after = found.nextKey;
      // A page of a plan without an index order matches and sorts everything after the
      // cursor: growing pages keep the total near one sort, not one per 256 items.
      if (!(plan.kind === "index" && plan.ordered)) pageSize = Math.min(pageSize * iteratePageGrowth, pageLimitMax);
    }
  }

  explain(query: unknown, mode: "find" | "count" = "find"): QueryPlan {
    const checked = checkQuery(query);
    const records = this.records().size;
    if (mode === "count") {
      const plan = this.choose(checked, undefined)[0]!;
      const counted = countOf(plan, { records: this.records(), matches: checked.matches });
      return planOf(plan, { ids: [], items: [], nextKey: undefined, examined: counted.examined, matched: counted.count }, records, counted.fromIndex, counted.count);
    }
    const { plan, found } = this.run(checked);
    return planOf(plan, found, records, false, found.ids.length);
  }

  private choose(query: CheckedQuery, limit: number | undefined): Plan[] {
    return plans(this.indexes, { where: query.where, order: query.order, limit, records: this.records().size });
  }

  private run(query: CheckedQuery): { plan: Plan; found: Found } {
    const candidates = this.choose(query, query.limit);
    const run: Run = { records: this.records(), matches: query.matches, order: query.order, limit: query.limit, after: query.after };
    const best = candidates[0]!;
    // An ordered walk with a filter left over may stop early or read much: try it first for
    // at most what the best plan would read.
    if (query.limit !== undefined && !(best.kind === "index" && best.ordered)) {
      const ordered = candidates.find((p) => p.kind === "index" && p.ordered);
      if (ordered) {
        const trial = execute(ordered, run, best.cost);
        if (trial) return { plan: ordered, found: trial };
      }
    }
    const found = execute(best, run);
    assert(found !== undefined, "a plan run without a budget completes");
    return { plan: best, found };
  }
}

function resultOf(found: Found, order: QueryOrder): FindResult<unknown> {
  const result: FindResult<unknown> = { items: found.items, ids: found.ids };
  if (found.nextKey !== undefined) result.next = encodeCursor(order, found.nextKey);
  return result;
}

function planOf(plan: Plan, found: Found, records: number, fromIndex: boolean, returned: number): QueryPlan {
  return {
    index: plan.kind === "index" ? plan.index.name : null,
    ranges: plan.kind === "index" ? [...plan.descriptions] : [],
    order: plan.kind === "index" && plan.ordered ? "index" : "memory",
    countedFromIndex: fromIndex,
    examined: found.examined,
    matched: found.matched,
    returned,
    records,
  };
}
