import fc from "fast-check";
import { expect } from "vitest";
import type { Store } from "../../src/index.js";
import { indexDefinitions } from "../../src/query/index-def.js";
import { IndexSet } from "../../src/query/index-set.js";
import { Queries } from "../../src/query/queries.js";
import type { StoreQueries } from "../../src/store-query.js";

/**
 * What the index tests beyond the one-writer model (tests/property/indexes-model.test.ts)
 * share: documents whose indexed fields are missing, null, mixed or arrays, filters on those
 * fields, and check(), which compares a store's indexes with ones rebuilt from its records and
 * find/count/iterate with a scan, in JSON text.
 */
export type Doc = Record<string, unknown>;
export interface Query {
  where: unknown;
  sort: unknown;
  limit: number | undefined;
}

export const declared = {
  status: {},
  priority: {},
  "owner.id": {},
  byStatusPriority: { on: ["status", "priority"] },
  byTagsDue: { on: ["tags", "due"] },
  email: { unique: true },
};

export const ids = ["a", "b", "c", "d", "__proto__", "é", "x.y"];

const scalar = fc.oneof(fc.constantFrom(null, true, false, "", "open", "done"), fc.integer({ min: -2, max: 12 }));
const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined, freq: 3 });
export const doc: fc.Arbitrary<Doc> = fc
  .record({
    // Arrays too: a compound index's leading path may be multikey ([0, -1] matches 0, sorts at -1).
    status: maybe(fc.oneof(fc.constantFrom("open", "done", "wip"), scalar, fc.array(fc.constantFrom("open", "done", -1), { maxLength: 2 }))),
    priority: maybe(fc.oneof(fc.integer({ min: 0, max: 10 }), scalar, fc.array(fc.integer({ min: 0, max: 10 }), { maxLength: 3 }))),
    owner: maybe(fc.oneof(fc.record({ id: maybe(fc.integer({ min: 0, max: 4 })) }), fc.array(fc.record({ id: fc.integer({ min: 0, max: 4 }) }), { maxLength: 2 }))),
    tags: maybe(fc.array(fc.constantFrom("x", "y", "z"), { maxLength: 3 })),
    due: maybe(fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(null))),
    email: maybe(fc.oneof(fc.constantFrom("p@x", "q@x", "r@x"), fc.constant(null))),
  })
  .map((d) => Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined)));

const condition = fc.oneof(
  scalar,
  fc.record({ $gt: scalar }),
  fc.record({ $gte: scalar, $lt: scalar }),
  fc.record({ $in: fc.array(scalar, { minLength: 1, maxLength: 3 }) }),
  fc.record({ $ne: scalar }),
  fc.record({ $exists: fc.boolean() }),
);
const field = fc.constantFrom("status", "priority", "owner.id", "tags", "due", "email");
const where = fc.oneof(
  fc.dictionary(field, condition, { maxKeys: 3 }),
  fc.record({ $or: fc.array(fc.dictionary(field, condition, { minKeys: 1, maxKeys: 2 }), { minLength: 1, maxLength: 2 }) }),
);
const sort = fc.constantFrom<Record<string, 1 | -1> | undefined>(undefined, { priority: 1 }, { status: -1, priority: -1 }, { due: 1 }, { "owner.id": -1, status: 1 }, { email: 1 });
export const query: fc.Arbitrary<Query> = fc.record({ where, sort, limit: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }) });

/** Queries every check runs besides generated ones: each index's own shape at least once. */
export const fixedQueries: Query[] = [
  { where: {}, sort: undefined, limit: 3 },
  { where: { status: "open" }, sort: { priority: 1 }, limit: 2 },
  { where: { status: { $in: ["open", "done"] }, priority: { $gte: 3 } }, sort: undefined, limit: undefined },
  { where: { "owner.id": { $lt: 3 } }, sort: { "owner.id": -1, status: 1 }, limit: 2 },
  { where: { tags: "x", due: { $gt: 4 } }, sort: { due: 1 }, limit: undefined },
  { where: { email: { $ne: null } }, sort: { email: 1 }, limit: 2 },
  { where: { email: null }, sort: undefined, limit: undefined },
];

export const queriesOf = (store: Store<Doc>): StoreQueries => (store as unknown as { queries: StoreQueries }).queries;

/** A scan's answers (no index) over `records`. */
export function scanOf(records: ReadonlyMap<string, unknown>): Queries {
  return new Queries(() => records);
}

/**
 * Every index of `store` equals one rebuilt from its records (entries as JSON text, the
 * B+tree's invariants, overflowing records); find() through every page, find() whole,
 * count(where) and iterate() give what a scan gives.
 */
export function check(store: Store<Doc>, indexes: unknown, queries: readonly Query[], label = ""): void {
  const records = new Map(store.entries());
  // Rebuilt without `unique`: the entries are the same, and a shared log may hold a duplicate
  // two writers made at once (docs/QUERIES.md "Shared logs"), which a unique build refuses.
  const plain = Object.fromEntries(Object.entries(indexes as Record<string, object>).map(([name, d]) => [name, { ...d, unique: false }]));
  const built = IndexSet.build(indexDefinitions(plain), { records, listen: () => () => undefined });
  const list = queriesOf(store).indexes.list;
  expect(list.map((i) => i.name).sort(), `${label} declared indexes`).toEqual(built.list.map((i) => i.name).sort());
  for (const index of list) {
    index.tree.checkInvariants();
    const rebuilt = built.get(index.name)!;
    expect(JSON.stringify([...index.tree.range()]), `${label} index ${index.name}`).toBe(JSON.stringify([...rebuilt.tree.range()]));
    expect([...index.overflow].sort(), `${label} overflow of ${index.name}`).toEqual([...rebuilt.overflow].sort());
    expect(index.records, `${label} records in ${index.name}`).toBe(records.size);
    expect(index.exact, `${label} ${index.name} exact`).toBe(rebuilt.exact);
  }
  checkQueries(store, scanOf(records), [...fixedQueries, ...queries], label);
}

/** find (paged and whole), count(where) and iterate of `reader` equal `scan`'s. */
export function checkQueries(
  reader: Pick<Store<Doc>, "find" | "count" | "iterate">,
  scan: Queries,
  queries: readonly Query[],
  label = "",
): void {
  for (const q of queries) {
    const text = `${label} ${JSON.stringify(q)}`;
    const expected = scan.find({ where: q.where, sort: q.sort });
    const pages: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 60; page++) {
      const found = reader.find({ where: q.where as never, sort: q.sort as never, limit: q.limit, after });
      expect(found.items.length, text).toBeLessThanOrEqual(q.limit ?? Infinity);
      pages.push(...found.ids);
      if (!found.next) break;
      after = found.next;
    }
    expect(pages, text).toEqual(expected.ids);
    const whole = reader.find({ where: q.where as never, sort: q.sort as never });
    expect(JSON.stringify(whole.items), text).toBe(JSON.stringify(expected.items));
    expect(reader.count(q.where as never), text).toBe(expected.ids.length);
    const iterated = [...reader.iterate({ where: q.where as never, sort: q.sort as never })];
    expect(JSON.stringify(iterated), text).toBe(JSON.stringify(expected.ids.map((id, i) => [id, expected.items[i]])));
  }
}

/** Waits until `condition` holds (polling every 10 ms), or throws naming `what`. */
export async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits until every store has applied the same last seq. */
export async function converge(stores: readonly Store<Doc>[], timeoutMs = 10_000): Promise<void> {
  await until(
    `stores to converge (${stores.map((s) => s.stats().seq).join(", ")})`,
    () => stores.every((s) => s.stats().seq === stores[0]!.stats().seq),
    timeoutMs,
  );
}
