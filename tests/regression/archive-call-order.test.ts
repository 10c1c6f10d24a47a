import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Found by a review (issue 10, defect 9): archive(pred) chose its records a turn later, so a
 * set() issued after it without awaiting was archived too. Every mutation, archive included, is
 * applied in call order.
 */
describe("regression: archive() in call order", () => {
  it("does not archive a record set after the call", async () => {
    const store = new Store<{ old: boolean }>();
    await store.open(tempDir());
    await store.set("a", { old: true });
    const archived = store.archive((value) => value.old, "s1");
    const later = store.set("b", { old: true });
    expect(await archived).toBe(1);
    await later;
    expect(store.has("b")).toBe(true);
    expect(store.has("a")).toBe(false);
    expect([...(await store.loadArchive("s1")).keys()]).toEqual(["a"]);
    await store.close();
  });
});
