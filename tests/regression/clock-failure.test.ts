import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Found by the adversarial review of issue 10: an injected clock that threw once left the seq
 * counter ahead of the log (the next set failed an internal assertion and was applied to the
 * state without being logged), and close() then wrote a directory that would not open. A clock
 * returning NaN silently wrote 1970 timestamps. The clock is read before anything changes, and
 * its failures are typed.
 */
describe("regression: a failing injected clock", () => {
  it("fails the call with a code and leaves the store unchanged and usable", async () => {
    const dir = tempDir();
    let fail = false;
    let micros = Date.UTC(2026, 0, 1) * 1000;
    const clock = () => {
      if (fail) {
        fail = false;
        throw new Error("clock hiccup");
      }
      return (micros += 1000);
    };
    const store = new Store<{ n: number }>();
    await store.open(dir, { clock });
    await store.set("a", { n: 1 });
    fail = true;
    expect(() => store.set("b", { n: 2 })).toThrow(expect.objectContaining({ code: "OPSLOG_INVALID_ARGUMENT" }));
    expect(store.stats().seq).toBe(1);
    expect(store.has("b")).toBe(false);
    await store.set("c", { n: 3 });
    await store.close();
    const again = new Store<{ n: number }>();
    await again.open(dir);
    expect(JSON.stringify(again.entries())).toBe('[["a",{"n":1}],["c",{"n":3}]]');
    expect(again.stats().seq).toBe(2);
    await again.close();
  });

  it("refuses a reading beyond whole microseconds, and the next good reading works", async () => {
    let micros = Date.UTC(2026, 0, 1) * 1000;
    let bad = false;
    const store = new Store<{ n: number }>();
    await store.open(tempDir(), { clock: () => (bad ? 8.7e18 : (micros += 1000)) });
    await store.set("a", { n: 1 });
    bad = true;
    expect(() => store.set("b", { n: 2 })).toThrow(expect.objectContaining({ code: "OPSLOG_INVALID_ARGUMENT" }));
    bad = false;
    await store.set("c", { n: 3 });
    expect(store.stats().seq).toBe(2);
    await store.close();
  });

  it("refuses a clock that returns no number", async () => {
    const store = new Store<{ n: number }>();
    await expect(store.open(tempDir(), { clock: () => Number.NaN }).then(() => store.set("a", { n: 1 })))
      .rejects.toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT" });
    await store.close().catch(() => undefined);
  });
});
