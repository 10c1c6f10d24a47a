import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Found by a review (issue 10, defect 12): a second close() resolved at once while the first was
 * still checkpointing, with the lock still held. Every close() call resolves only when the store
 * is closed.
 */
describe("regression: a second close()", () => {
  it("resolves only once the store is closed and the lock released", async () => {
    const dir = tempDir();
    const store = new Store<{ n: number }>();
    await store.open(dir);
    await store.batch(() => {
      for (let i = 0; i < 20_000; i++) store.set(`r${i}`, { n: i });
    });
    const first = store.close();
    await store.close();
    const other = new Store<{ n: number }>();
    await other.open(dir); // Would be OPSLOG_LOCKED if the first close were still running.
    expect(other.count()).toBe(20_000);
    await other.close();
    await first;
  });
});
