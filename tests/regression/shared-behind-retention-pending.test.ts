import { describe, expect, it } from "vitest";
import { MemoryStorage, Store } from "../../src/index.js";

/**
 * Found by the second review of the shared-log fixes (MemoryStorage({ shared: true })):
 * - a writer behind another's retention sent a pending write; it was stored, but the outcome's
 *   operations could not be read from its position, so the commit was reported as failed
 *   (a stored write rejected);
 * - compact() on that writer failed with OPSLOG_INTERNAL (its checkpoint older than another
 *   writer's);
 * - a conflict settled without catching up (its log unreadable for ~10 s) carried the stale
 *   local value as `current`, not the one the storage reported.
 */
type Doc = Record<string, unknown>;

async function until(check: () => boolean, ms = 5000): Promise<void> {
  for (let waited = 0; !check() && waited < ms; waited += 10) await new Promise((r) => setTimeout(r, 10));
}

async function behind(): Promise<{ a: Store<Doc>; b: Store<Doc>; lag: MemoryStorage }> {
  const first = new MemoryStorage({ shared: true });
  const lag = new MemoryStorage({ shareWith: first });
  const a = new Store<Doc>();
  const b = new Store<Doc>();
  await a.open(first, { retain: { ops: 3 } });
  await b.open(lag);
  await a.set("k", { n: 0 });
  await until(() => b.stats().seq >= 1);
  lag.faults.failNextFetches(1e9);
  for (let i = 0; i < 10; i++) await a.set(`k${i}`, { n: i });
  await a.set("k", { n: "A" });
  await a.compact();
  return { a, b, lag };
}

describe("a shared writer behind retention, with work of its own", () => {
  it("a pending write it sends is acknowledged once stored", async () => {
    const { a, b, lag } = await behind();
    const pending = b.set("mine", { v: 1 });
    lag.faults.clear();
    await expect(pending).resolves.toBeUndefined();
    await until(() => a.stats().seq === b.stats().seq);
    expect(a.get("mine")).toEqual({ v: 1 });
    expect(b.get("mine")).toEqual({ v: 1 });
    await a.close();
    await b.close();
  }, 30_000);

  it("compact() on it does not fail with an internal error", async () => {
    const { a, b, lag } = await behind();
    await expect(b.compact()).resolves.toBeUndefined();
    lag.faults.clear();
    await a.close();
    await b.close();
  }, 30_000);

  it("a conflict settled before catching up carries the storage's current value", async () => {
    const { a, b, lag } = await behind();
    const error = await b.set("k", { n: "B" }).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code: "OPSLOG_CONFLICT", id: "k", current: { n: "A" }, version: a.version("k") });
    lag.faults.clear();
    await a.close();
    await b.close();
  }, 40_000);
});
