import { afterEach, describe, expect, it } from "vitest";
import { MemoryStorage, Store } from "../../src/index.js";
import type { StoreQueries } from "../../src/store-query.js";

/**
 * Defects the adversarial review of the query work found (issue 13), one test each; every one
 * failed on the code before its fix.
 */
type Doc = Record<string, unknown>;
let open: Store<Doc>[] = [];
afterEach(async () => {
  for (const store of open) await store.close().catch(() => undefined);
  open = [];
});

async function store(indexes: Record<string, object>): Promise<Store<Doc>> {
  const s = new Store<Doc>();
  await s.open(new MemoryStorage(), { indexes });
  open.push(s);
  return s;
}

const treeOf = (s: Store<Doc>, name: string) =>
  (s as unknown as { queries: StoreQueries }).queries.indexes.get(name)!.tree as unknown as { modifications: number };

describe("review of the query work", () => {
  it("an update of a long array moves only the entries that changed (all were deleted and re-inserted)", async () => {
    const s = await store({ tags: {} });
    const tags = Array.from({ length: 2000 }, (_, i) => `t${i}`);
    await s.set("x", { tags });
    const before = treeOf(s, "tags").modifications;
    await s.set("x", { tags: [...tags.slice(1), "new"] });
    expect(treeOf(s, "tags").modifications - before).toBe(2);
    expect(s.find({ where: { tags: "new" } }).ids).toEqual(["x"]);
    expect(s.count({ tags: "t0" })).toBe(0);
  });

  it("iterate() fails with OPSLOG_CLOSED once the store is closed (it went on reading the closed state)", async () => {
    const s = await store({});
    await s.batch(() => {
      for (let i = 0; i < 600; i++) void s.set(`r${String(i).padStart(3, "0")}`, { n: i % 7 });
    });
    const iterator = s.iterate({ sort: { n: 1 } });
    iterator.next();
    await s.close();
    expect(() => iterator.next()).toThrow(expect.objectContaining({ code: "OPSLOG_CLOSED" }) as Error);
  });

  it("iterate() checks its query at the call", async () => {
    const s = await store({});
    expect(() => s.iterate({ sort: 3 as never })).toThrow(expect.objectContaining({ code: "OPSLOG_INVALID_ARGUMENT" }) as Error);
  });

  it("a hole in a filter's array is refused (an indexed $in with a hole matched missing fields; $and/$or threw TypeErrors)", async () => {
    const s = await store({ a: {} });
    await s.set("has1", { a: 1 });
    await s.set("missing", { b: 1 });
    // eslint-disable-next-line no-sparse-arrays
    const holes: unknown[] = [{ a: { $in: [1, , 2] } }, { a: { $all: [, 1] } }, { $and: [, { a: 1 }] }, { $or: [, { a: 1 }] }, { $nor: [,] }];
    for (const where of holes) {
      expect(() => s.find({ where: where as never })).toThrow(expect.objectContaining({ code: "OPSLOG_INVALID_ARGUMENT" }) as Error);
      expect(() => s.count(where as never)).toThrow(expect.objectContaining({ code: "OPSLOG_INVALID_ARGUMENT" }) as Error);
    }
    expect(s.find({ where: { a: { $in: [1, 2] } } }).ids).toEqual(["has1"]);
  });

  it("a filter nested deeper than the limit is refused with a typed error (was a RangeError)", async () => {
    const s = await store({});
    let deep: Doc = { a: 1 };
    for (let i = 0; i < 9000; i++) deep = { $and: [deep] };
    expect(() => s.find({ where: deep })).toThrow(expect.objectContaining({ code: "OPSLOG_INVALID_ARGUMENT" }) as Error);
    let not: Doc = { $eq: 1 };
    for (let i = 0; i < 5000; i++) not = { $not: not };
    expect(() => s.count({ a: not })).toThrow(expect.objectContaining({ code: "OPSLOG_INVALID_ARGUMENT" }) as Error);
  });

  it("where: null and count(null) are refused (they matched every record)", async () => {
    const s = await store({});
    await s.set("a", { n: 1 });
    expect(() => s.count(null as never)).toThrow(expect.objectContaining({ code: "OPSLOG_INVALID_ARGUMENT" }) as Error);
    expect(() => s.find({ where: null as never })).toThrow(expect.objectContaining({ code: "OPSLOG_INVALID_ARGUMENT" }) as Error);
  });

  it("a unique compound index refuses a record it cannot check, at the write and at open (duplicates opened fine)", async () => {
    const many = Array.from({ length: 20 }, (_, i) => i);
    const storage = new MemoryStorage();
    const plain = new Store<Doc>();
    await plain.open(storage);
    await plain.set("p", { a: many, b: many });
    await plain.set("q", { a: many, b: many });
    await plain.close();
    await expect(new Store<Doc>().open(storage, { indexes: { ab: { on: ["a", "b"], unique: true } } })).rejects.toMatchObject({ code: "OPSLOG_INVALID_VALUE" });
    const s = await store({ ab: { on: ["a", "b"], unique: true } });
    expect(() => void s.set("p", { a: many, b: many })).toThrow(expect.objectContaining({ code: "OPSLOG_INVALID_VALUE" }) as Error);
    expect(s.has("p")).toBe(false);
  });

  it("one record holding an array (or []) leaves the index serving order and counts (every query became a scan)", async () => {
    const s = await store({ n: {}, sn: { on: ["s", "n"] } });
    await s.batch(() => {
      for (let i = 0; i < 300; i++) void s.set(`r${String(i).padStart(3, "0")}`, { s: i % 3 ? "open" : "done", n: i % 50 });
    });
    await s.set("arr", { s: "open", n: [5, 2000] });
    await s.set("empty", { s: "done", n: [] });
    const top = { sort: { n: -1 as const }, limit: 3 };
    expect(s.explain(top)).toMatchObject({ index: "n", order: "index" });
    expect(s.find(top).ids[0]).toBe("arr");
    expect(s.find({ sort: { n: 1 }, limit: 1 }).ids).toEqual(["empty"]); // [] sorts below null
    const counted = s.explain({ where: { s: "open", n: { $gt: 40 } } }, "count");
    expect(counted).toMatchObject({ index: "sn", countedFromIndex: true, examined: 0 });
    expect(s.count({ s: "open", n: { $gt: 40 } })).toBe(s.count((v) => v.s === "open" && ([] as unknown[]).concat(v.n).some((x) => (x as number) > 40)));
  });

  it("a multikey leading path is not dropped from the sort of an index walk (a = 0 matched [0, -1], which sorts first)", async () => {
    const s = await store({ ab: { on: ["a", "b"] } });
    await s.set("r2", { a: 0, b: 1 });
    await s.set("r1", { a: [0, -1], b: 5 });
    await s.set("r3", { a: 0, b: 3 });
    const query = { where: { a: 0 }, sort: { a: 1 as const, b: 1 as const } };
    expect(s.find(query).ids).toEqual(["r1", "r2", "r3"]);
    expect(s.find({ ...query, limit: 1 }).ids).toEqual(["r1"]);
    const rest = s.find({ ...query, limit: 2, after: s.find({ ...query, limit: 1 }).next });
    expect(rest.ids).toEqual(["r2", "r3"]);
  });
});
