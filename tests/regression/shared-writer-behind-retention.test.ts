import { describe, expect, it } from "vitest";
import { MemoryStorage, Store } from "../../src/index.js";

/**
 * A writer of a shared log that fell behind what another writer's retention pruned could never
 * catch up: every fetch failed (OPSLOG_CONFLICT) and its state stayed behind for good. It now
 * starts over from the state at the head, and its pending writes go on from there.
 */
describe("a shared writer behind retention", () => {
  it("starts over from the head and keeps writing", async () => {
    const first = new MemoryStorage({ shared: true });
    const lagging = new MemoryStorage({ shareWith: first });
    const a = new Store<Record<string, unknown>>();
    const b = new Store<Record<string, unknown>>();
    await a.open(first, { retain: { ops: 3 } });
    await b.open(lagging);
    await a.set("k0", { n: 0 });
    for (let i = 0; i < 200 && b.stats().seq < 1; i++) await new Promise((r) => setTimeout(r, 5));
    expect(b.get("k0")).toEqual({ n: 0 });
    lagging.faults.failNextFetches(1_000_000); // b cannot read the log for a while
    for (let i = 1; i <= 20; i++) await a.set(`k${i}`, { n: i });
    await a.compact(); // prunes all but the newest operations
    expect(a.stats().historyOps).toBeLessThan(20);
    lagging.faults.clear();
    for (let i = 0; i < 600 && b.stats().seq < 21; i++) await new Promise((r) => setTimeout(r, 10));
    expect(b.stats().seq).toBe(21);
    expect(JSON.stringify(b.entries())).toBe(JSON.stringify(a.entries()));
    expect(b.stats().followError).toBeUndefined();
    await b.set("after", { ok: true });
    for (let i = 0; i < 200 && a.stats().seq < 22; i++) await new Promise((r) => setTimeout(r, 5));
    expect(a.get("after")).toEqual({ ok: true });
    await a.close();
    await b.close();
  }, 30_000);

  it("a read-only follower starts over too", async () => {
    const first = new MemoryStorage({ shared: true });
    const lagging = new MemoryStorage({ shareWith: first });
    const a = new Store<Record<string, unknown>>();
    const f = new Store<Record<string, unknown>>();
    await a.open(first, { retain: { ops: 3 } });
    await a.set("k0", { n: 0 });
    await f.open(lagging, { readOnly: true, follow: true });
    lagging.faults.failNextFetches(1_000_000);
    for (let i = 1; i <= 20; i++) await a.set(`k${i}`, { n: i });
    await a.compact();
    lagging.faults.clear();
    for (let i = 0; i < 600 && f.stats().seq < 21; i++) await new Promise((r) => setTimeout(r, 10));
    expect(f.stats().seq).toBe(21);
    expect(JSON.stringify(f.entries())).toBe(JSON.stringify(a.entries()));
    await a.close();
    await f.close();
  }, 30_000);
});
