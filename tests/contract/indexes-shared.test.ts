import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryStorage, Store } from "../../src/index.js";
import { check, converge, declared, doc, ids, query, type Doc } from "../helpers/index-check.js";

/**
 * Declared indexes on a shared log (MemoryStorage({ shared: true })): several stores with the
 * same indexes write at once, un-awaited, with conflicts, overwrite: true, undo and redo. A
 * staged (pending) write is in find() at once; after everything settles every store's indexes
 * equal ones rebuilt from its records, and find/count/iterate a scan. A unique index is checked
 * against what this store has seen: docs/QUERIES.md "Shared logs".
 */
const opened: Store<Doc>[] = [];

async function writers(count: number): Promise<Store<Doc>[]> {
  const first = new MemoryStorage({ shared: true });
  const stores: Store<Doc>[] = [];
  for (let i = 0; i < count; i++) {
    const store = new Store<Doc>();
    await store.open(i === 0 ? first : new MemoryStorage({ shareWith: first }), { indexes: declared });
    stores.push(store);
    opened.push(store);
  }
  return stores;
}

afterEach(async () => {
  for (const store of opened.splice(0)) await store.close().catch(() => undefined);
});

const writer = fc.integer({ min: 0, max: 2 });
const id = fc.constantFrom(...ids);
const step = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("set" as const), writer, id, value: doc, overwrite: fc.boolean(), wait: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), writer, id, wait: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("batch" as const), writer, changes: fc.array(fc.record({ id, value: fc.option(doc, { nil: undefined }) }), { minLength: 1, maxLength: 3 }), wait: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom("undo" as const, "redo" as const), writer }) },
  { weight: 1, arbitrary: fc.constant({ kind: "pause" as const }) },
);
type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;

/** Refusals a shared log gives: a unique value this store has seen, a conflict, a gone record. */
const expected = new Set(["OPSLOG_UNIQUE", "OPSLOG_CONFLICT", "OPSLOG_NOT_FOUND"]);
function refused(error: unknown): void {
  expect(expected, String(error)).toContain((error as { code?: string }).code);
}

/** Issues one write without waiting for it; its refusal (sync or async) is looked at later. */
function issue(store: Store<Doc>, s: Exclude<Step, { kind: "pause" | "undo" | "redo" }>): Promise<unknown> {
  try {
    if (s.kind === "set") return s.overwrite ? store.set(s.id, s.value, { overwrite: true }) : store.set(s.id, s.value);
    if (s.kind === "delete") return store.has(s.id) ? store.delete(s.id) : Promise.resolve();
    if (s.changes.every((c) => c.value === undefined && !store.has(c.id))) return Promise.resolve();
    return store.batch(() => {
      for (const c of s.changes) {
        if (c.value !== undefined) void store.set(c.id, c.value);
        else if (store.has(c.id)) void store.delete(c.id);
      }
    });
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

describe("declared indexes on a shared log (property)", () => {
  it("agree with a scan while writes are pending, and after they settle, in every store", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 3, maxLength: 25 }), fc.array(query, { minLength: 1, maxLength: 3 }), async (steps, queries) => {
        const stores = await writers(3);
        const pending: Promise<unknown>[] = [];
        try {
          for (const [i, s] of steps.entries()) {
            if (s.kind === "pause") {
              await new Promise((resolve) => setTimeout(resolve, 5));
              continue;
            }
            const store = stores[s.writer]!;
            if (s.kind === "undo" || s.kind === "redo") {
              await store[s.kind]().catch(refused);
            } else {
              const promise = issue(store, s as Parameters<typeof issue>[1]);
              promise.catch(() => undefined);
              pending.push(promise);
              // A pending write is the store's state at once: in its records and its indexes.
              if (s.kind === "set" && store.get(s.id) !== undefined && JSON.stringify(store.get(s.id)) === JSON.stringify(s.value)) {
                expect(store.find({ where: { email: (s.value.email ?? null) as never } }).ids).toContain(s.id);
              }
              if ("wait" in s && s.wait) await promise.catch(() => undefined);
            }
            check(store, declared, queries, `step ${i} writer ${s.writer}`);
          }
          for (const outcome of await Promise.allSettled(pending)) if (outcome.status === "rejected") refused(outcome.reason);
          for (const store of stores) await store.flush();
          await converge(stores);
          const text = JSON.stringify(stores[0]!.entries());
          stores.forEach((store, i) => {
            expect(JSON.stringify(store.entries())).toBe(text);
            check(store, declared, queries, `settled writer ${i}`);
          });
        } finally {
          for (const store of stores) await store.close();
          opened.length = 0;
        }
      }),
      { numRuns: Number(process.env.OPSLOG_INDEX_RUNS ?? 25) },
    );
  }, 60_000);
});

describe("unique indexes on a shared log", () => {
  it("a staged write is found at once; a refused one leaves the indexes", async () => {
    const [a, b] = (await writers(2)) as [Store<Doc>, Store<Doc>];
    await a.set("t", { status: "open", email: "t@x" });
    await converge([a, b]);
    const staged = a.set("n", { status: "new", email: "n@x" });
    expect(a.find({ where: { status: "new" } }).ids).toEqual(["n"]);
    expect(a.count({ email: "n@x" })).toBe(1);
    expect(() => a.set("m", { email: "n@x" })).toThrow(expect.objectContaining({ code: "OPSLOG_UNIQUE" }) as Error);
    await staged;
    // Both change t on the same base: one is refused, and its staged value leaves its indexes.
    const results = await Promise.allSettled([a.set("t", { status: "a", email: "ta@x" }), b.set("t", { status: "b", email: "tb@x" })]);
    expect(results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(["OPSLOG_CONFLICT"]);
    await converge([a, b]);
    for (const store of [a, b]) {
      check(store, declared, []);
      expect(store.count({ status: { $in: ["a", "b"] } })).toBe(1);
    }
  });

  it("two stores may give one value to two records at once: both are indexed, later writes of it are refused", async () => {
    const [a, b] = (await writers(2)) as [Store<Doc>, Store<Doc>];
    // Neither has seen the other's write when it makes its own: both are stored.
    await Promise.all([a.set("x", { email: "u@x", status: "open" }), b.set("y", { email: "u@x", status: "open" })]);
    await converge([a, b]);
    for (const store of [a, b]) {
      expect(store.find({ where: { email: "u@x" } }).ids).toEqual(["x", "y"]);
      expect(store.count({ email: "u@x" })).toBe(2);
      expect(store.explain({ where: { email: "u@x" } }).index).toBe("email");
      check(store, declared, []);
      // A later local write of the value is refused, naming a record that holds it.
      expect(() => store.set("z", { email: "u@x" })).toThrow(expect.objectContaining({ code: "OPSLOG_UNIQUE" }) as Error);
    }
    expect(() => a.set("x", { email: "u@x", status: "done" })).toThrow(expect.objectContaining({ code: "OPSLOG_UNIQUE", message: expect.stringContaining('"y"') }) as Error);
    // Other writes go on; removing one of the two leaves a unique value again.
    await a.set("w", { email: "w@x" });
    await b.delete("y");
    await converge([a, b]);
    await a.set("x", { email: "u@x", status: "done" });
    await converge([a, b]);
    for (const store of [a, b]) {
      expect(store.find({ where: { email: "u@x" } }).ids).toEqual(["x"]);
      check(store, declared, []);
    }
  });

  it("opening a shared log whose data holds such a duplicate fails with OPSLOG_UNIQUE", async () => {
    const [a, b] = (await writers(2)) as [Store<Doc>, Store<Doc>];
    await Promise.all([a.set("x", { email: "u@x" }), b.set("y", { email: "u@x" })]);
    await converge([a, b]);
    const third = new Store<Doc>();
    const storage = new MemoryStorage({ shareWith: (a as unknown as { engine: { storage: MemoryStorage } }).engine.storage });
    await expect(third.open(storage, { indexes: declared })).rejects.toMatchObject({ code: "OPSLOG_UNIQUE" });
  });

  it("a writer behind retention starts over with its pending writes: indexes equal rebuilt ones", async () => {
    const first = new MemoryStorage({ shared: true });
    const lagging = new MemoryStorage({ shareWith: first });
    const [a, b] = [new Store<Doc>(), new Store<Doc>()];
    await a.open(first, { indexes: declared, retain: { ops: 3 } });
    await b.open(lagging, { indexes: declared });
    opened.push(a, b);
    await a.set("k0", { status: "open", email: "0@x" });
    await converge([a, b]);
    lagging.faults.failNextFetches(1_000_000); // b cannot read the log for a while
    for (let i = 1; i <= 12; i++) await a.set(`k${i % 5}`, { status: ["open", "wip", null][i % 3], priority: [i, 1], email: `${i}@x` });
    await a.delete("k2");
    await a.compact(); // prunes all but the newest operations
    const pending = b.set("mine", { status: "b", email: "mine@x" });
    expect(b.find({ where: { status: "b" } }).ids).toEqual(["mine"]);
    check(b, declared, [], "pending behind");
    lagging.faults.clear();
    await pending;
    await converge([a, b]);
    expect(JSON.stringify(b.entries())).toBe(JSON.stringify(a.entries()));
    check(a, declared, [], "a");
    expect((b as unknown as { engine: { restarts: number } }).engine.restarts).toBeGreaterThan(0);
    check(b, declared, [], "b after starting over");
  }, 30_000);
});
