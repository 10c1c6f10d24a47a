import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Found by reading (issue 10): retain.ms and the default archive segment name used Date.now()
 * and new Date() instead of the injected clock, so a program (or a test) that injects a clock saw
 * retention and archive names follow the wall clock instead.
 */
describe("regression: the injected clock", () => {
  it("names the default archive segment after the injected time", async () => {
    const micros = Date.UTC(2031, 7, 15) * 1000; // 2031-08-15: quarter 3
    const store = new Store<{ n: number }>();
    await store.open(tempDir(), { clock: () => micros });
    await store.set("a", { n: 1 });
    await store.archive(() => true);
    expect(store.listArchiveSegments()).toEqual(["2031-Q3"]);
    await store.close();
  });

  it("applies retain.ms by the injected time", async () => {
    let micros = Date.UTC(2020, 0, 1) * 1000;
    const clock = () => micros;
    const store = new Store<{ n: number }>();
    await store.open(tempDir(), { clock, retain: { ms: 60_000 }, checkpointThreshold: 0 });
    for (let i = 0; i < 5; i++) await store.set(`a${i}`, { n: i });
    await store.compact();
    // An hour later by the injected clock (the wall clock says years later already).
    micros += 3_600_000 * 1000;
    for (let i = 0; i < 3; i++) await store.set(`b${i}`, { n: i });
    await store.compact();
    await store.set("c", { n: 0 });
    await store.compact();
    expect(store.getOps().map((op) => op.id)).toEqual(["b0", "b1", "b2", "c"]);
    await store.close();
  });

  it("keeps history the injected clock says is recent, even if the wall clock is far ahead", async () => {
    const micros = Date.UTC(2020, 0, 1) * 1000;
    const store = new Store<{ n: number }>();
    await store.open(tempDir(), { clock: () => micros, retain: { ms: 60_000 }, checkpointThreshold: 0 });
    for (let i = 0; i < 4; i++) await store.set(`a${i}`, { n: i });
    await store.compact();
    await store.set("b", { n: 1 });
    await store.compact();
    expect(store.getOps().length).toBe(5);
    await store.close();
  });
});
