import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Found by a review (issue 10, defect 1): compact() ran outside the checkpointer's single-flight
 * guard, so a background checkpoint started beside it. The newer snapshot committed first and
 * retention pruned the log behind it; then the older snapshot committed last. After a reopen the
 * acknowledged deletes were gone and seq went back. One checkpoint runs at a time, a snapshot
 * never replaces a newer one, and recovery refuses a log that does not follow its snapshot.
 */
describe("regression: compact() beside a background checkpoint", () => {
  it("keeps every acknowledged delete across a reopen", async () => {
    const dir = tempDir();
    const pad = "x".repeat(400); // A snapshot that takes a while to stream out.
    const options = { checkpointThreshold: 5, retain: { ops: 0 } } as const;
    const setup = new Store<{ n: number; pad: string }>();
    await setup.open(dir, options);
    await setup.batch(() => {
      for (let i = 0; i < 20_000; i++) setup.set(`r${i}`, { n: i, pad });
    });
    await setup.close();
    const store = new Store<{ n: number; pad: string }>();
    await store.open(dir, options);
    const compacting = store.compact();
    await new Promise((resolve) => setImmediate(resolve)); // compact() has taken its picture.
    await store.batch(() => {
      for (let i = 0; i < 19_000; i++) store.delete(`r${i}`);
    });
    await compacting;
    expect(store.stats().seq).toBe(39_000);
    await store.close();
    const again = new Store<{ n: number; pad: string }>();
    await again.open(dir, options);
    expect(again.stats().seq).toBe(39_000);
    expect(again.count()).toBe(1_000);
    expect(again.has("r0")).toBe(false);
    expect(again.get("r19999")).toEqual({ n: 19_999, pad });
    await again.close();
  });
});
