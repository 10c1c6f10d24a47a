import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Found by the interleavings property test (issue 10): with `retain: { ops: 0 }`, once a
 * checkpoint left no operation retained, at(0) failed with an internal assertion ("operation 2
 * is in memory") instead of OPSLOG_INVALID_ARGUMENT naming the oldest reachable state.
 */
describe("regression: at() when no history is retained", () => {
  it("rejects a pruned point with OPSLOG_INVALID_ARGUMENT and shows the current state", async () => {
    const dir = tempDir();
    const store = new Store<{ n: number }>();
    await store.open(dir, { retain: { ops: 0 } });
    await store.set("a", { n: 1 });
    await store.close();
    const again = new Store<{ n: number }>();
    await again.open(dir, { retain: { ops: 0 } });
    await again.set("b", { n: 2 });
    await again.compact();
    await expect(again.at(0)).rejects.toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT" });
    const now = await again.at(2);
    expect(now.get("b")).toEqual({ n: 2 });
    await again.close();
  });
});

describe("regression: at(time) when no history is retained", () => {
  it("rejects a time before the last operation instead of showing the current state", async () => {
    let micros = Date.UTC(2026, 0, 1) * 1000;
    const clock = () => (micros += 1000);
    const store = new Store<{ i: number }>();
    await store.open(tempDir(), { clock, retain: { ops: 0 } });
    for (let i = 1; i <= 3; i++) await store.set(`r${i}`, { i });
    await store.compact();
    expect(store.stats().historyOps).toBe(0);
    const early = new Date(Date.UTC(2025, 0, 1));
    await expect(store.at(early)).rejects.toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT" });
    await expect(store.at(early.toISOString())).rejects.toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT" });
    const later = await store.at(new Date(Date.UTC(2027, 0, 1)));
    expect(later.count()).toBe(3);
    await store.close();
  });
});
