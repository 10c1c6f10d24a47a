import { describe, expect, it } from "vitest";
import { MemoryStorage, Store } from "../../src/index.js";

/**
 * iterate() read 256 items per page, and a page of a plan without an index order re-scans and
 * re-sorts every match after the cursor: O(n²/256) over a large result (30 s for 50,000 records
 * sorted, against 0.35 s for one find()). `opslog find` streams through iterate().
 */
describe("iterate() over a scan", () => {
  it("costs about one find() of everything, not one per page", async () => {
    const store = new Store<{ i: number; p: number }>();
    await store.open(new MemoryStorage());
    const n = 20_000;
    await store.batch(() => {
      for (let i = 0; i < n; i++) store.set(`r${String(i).padStart(6, "0")}`, { i, p: i % 10 });
    });
    const query = { where: { p: { $gte: 0 } }, sort: ["p", "i"] as const };
    store.find(query); // warm: every record parsed once
    let started = performance.now();
    const all = store.find(query);
    const findMs = performance.now() - started;
    started = performance.now();
    const ids: string[] = [];
    for (const [id] of store.iterate(query)) ids.push(id);
    const iterateMs = performance.now() - started;
    expect(ids).toEqual(all.ids);
    expect(iterateMs).toBeLessThan(15 * findMs + 250);
    await store.close();
  }, 120_000);
});
