import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Found by the adversarial review of issue 10: an exception thrown by the user's own archive
 * predicate or migrate function came back as OPSLOG_IO ("archive() failed: mine"), naming a
 * file-system failure that never happened. Like an exception from a filter() predicate or a
 * batch callback, it now reaches the caller as it was thrown, and the store stays unchanged.
 */
describe("regression: the user's own exceptions", () => {
  it("from an archive predicate reach the caller unchanged", async () => {
    const store = new Store<{ n: number }>();
    await store.open(tempDir());
    await store.set("a", { n: 1 });
    const mine = new Error("mine");
    await expect(
      store.archive(() => {
        throw mine;
      }, "s"),
    ).rejects.toBe(mine);
    expect(store.has("a")).toBe(true);
    expect(store.listArchiveSegments()).toEqual([]);
    await store.close();
  });

  it("from migrate reach the caller of open unchanged, and the directory is released", async () => {
    const dir = tempDir();
    const v1 = new Store<{ n: number }>();
    await v1.open(dir);
    await v1.set("a", { n: 1 });
    await v1.close();
    const boom = new Error("boom");
    const v2 = new Store<{ n: number }>();
    const migrate = () => {
      throw boom;
    };
    await expect(v2.open(dir, { version: 2, migrate })).rejects.toBe(boom);
    const again = new Store<{ n: number }>();
    await again.open(dir);
    expect(again.get("a")).toEqual({ n: 1 });
    await again.close();
  });
});
