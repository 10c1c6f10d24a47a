import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Found by a review trying the store as a user of opslog 0.1 would (issue 10): messages lost the
 * original's words that programs match on, an explicit checkpointThreshold no longer meant
 * "opsCount is 0 after the N-th awaited write", and at() with a time before the retained history
 * returned a view instead of rejecting like at(seq).
 */
describe("regression: what users of the original rely on", () => {
  it("keeps the original's words in messages, with the same codes", async () => {
    const store = new Store();
    expect(() => store.get("a")).toThrow(/Store is not open/);
    expect(() => store.get("a")).toThrow(expect.objectContaining({ code: "OPSLOG_NOT_OPEN" }));
    await store.open(tempDir());
    expect(() => store.delete("missing")).toThrow(/not found/);
    expect(() => store.delete("missing")).toThrow(expect.objectContaining({ code: "OPSLOG_NOT_FOUND" }));
    await expect(store.loadArchive("nope")).rejects.toThrow(/not found/);
    await expect(store.loadArchive("nope")).rejects.toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT" });
    await store.close();
  });

  it("has opsCount 0 after the N-th awaited write with checkpointThreshold N", async () => {
    const store = new Store<{ n: number }>();
    await store.open(tempDir(), { checkpointThreshold: 3 });
    for (let i = 1; i <= 9; i++) {
      await store.set(`r${i}`, { n: i });
      expect(store.stats().opsCount).toBe(i % 3);
    }
    await store.close();
  });

  it("rejects at() with a time or Date before the retained history", async () => {
    let micros = Date.UTC(2026, 0, 1) * 1000;
    const store = new Store<{ n: number }>();
    await store.open(tempDir(), { clock: () => (micros += 1000), retain: { ops: 2 }, checkpointThreshold: 0 });
    for (let i = 0; i < 6; i++) {
      await store.set(`r${i}`, { n: i });
      await store.compact();
    }
    await expect(store.at(1)).rejects.toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT" });
    const early = new Date(Date.UTC(2025, 0, 1));
    await expect(store.at(early)).rejects.toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT" });
    await expect(store.at(early.toISOString())).rejects.toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT" });
    await store.close();
  });
});
