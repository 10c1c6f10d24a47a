import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryStorage, Store } from "../../src/index.js";
import { IdLists, lowerBound } from "../../src/ui/server/id-lists.js";

/** The Records view's id lists, kept current from the history, against a sort of the keys. */
describe("IdLists", () => {
  it("property: after any writes (few or many, undo too) the lists equal a fresh sort", async () => {
    const id = fc.constantFrom("a", "b", "B", "é", "🙂", "a/b", "__proto__", "z9", "z10", "");
    const step = fc.oneof(
      fc.record({ kind: fc.constant("set" as const), ids: fc.array(id, { minLength: 1, maxLength: 60 }) }),
      fc.record({ kind: fc.constant("delete" as const), ids: fc.array(id, { minLength: 1, maxLength: 60 }) }),
      fc.record({ kind: fc.constant("undo" as const), ids: fc.constant([] as string[]) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 12 }), fc.integer({ min: 0, max: 40 }), async (steps, seed) => {
        const store = new Store<unknown>();
        await store.open(new MemoryStorage());
        for (let i = 0; i < seed; i++) await store.set(`s${i}`, { i });
        const lists = new IdLists(store);
        const expected = () => store.entries().map(([key]) => key).sort();
        expect(lists.ids({})).toEqual(expected());
        for (const { kind, ids } of steps) {
          // Many distinct ids in one batch take the merge path; few the splice path.
          const suffix = ids.length > 30 ? ids.map((one, i) => `${one}${i}`) : ids.filter((one) => one !== "");
          if (kind === "undo") await store.undo();
          else await store.batch(() => {
            for (const one of suffix) {
              if (kind === "set") store.set(one, { one });
              else if (store.has(one)) store.delete(one);
            }
          });
          expect(lists.ids({})).toEqual(expected());
          // Brought up to date from the history, never by falling back to a rebuild.
          expect(lists.lastRefresh).not.toBe("built");
          expect(lists.ids({ id: "a" })).toEqual(expected().filter((key) => key.includes("a")));
        }
        await store.close();
      }),
      { numRuns: 60 },
    );
  });

  it("many changes at once are merged: ids before, between and after the old ones", async () => {
    const store = new Store<unknown>();
    await store.open(new MemoryStorage());
    for (let i = 0; i < 50; i++) await store.set(`m${String(i).padStart(2, "0")}`, { i });
    const lists = new IdLists(store);
    expect(lists.ids({})).toHaveLength(50);
    await store.batch(() => {
      for (let i = 0; i < 40; i++) store.set(`${["A", "m25x", "~"][i % 3]}${i}`, { i });
      for (let i = 0; i < 50; i += 5) store.delete(`m${String(i).padStart(2, "0")}`);
    });
    expect(lists.ids({})).toEqual(store.entries().map(([key]) => key).sort());
    expect(lists.lastRefresh).toBe("incremental");
    await store.close();
  });

  it("lowerBound finds the first id not below, in UTF-16 order", () => {
    const ids = ["A", "a", "b", "é", "🙂"];
    expect(lowerBound(ids, "")).toBe(0);
    expect(lowerBound(ids, "a")).toBe(1);
    expect(lowerBound(ids, "c")).toBe(3);
    // A surrogate pair sorts below U+FFFF in UTF-16 code units (find()'s order), not above.
    expect(lowerBound(ids, "\uffff")).toBe(5);
    expect(lowerBound(ids, "\ud83d")).toBe(4);
    expect(lowerBound(ids, "🙂z")).toBe(5);
  });
});
