import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Found by the readers' review (issue 10): operations held in memory listed `prev` before
 * `data`, operations read back from the log listed `data` first (and a `prev` rebuilt from a
 * reverse delta came last), so JSON.stringify(getOps()) changed across a reopen. The JSON text
 * of what the store returns is the same before and after a reopen (SPEC §2.3).
 */
describe("regression: the JSON text of operations across a reopen", () => {
  it("is the same for sets, updates with deltas, deletes, batches, meta and undo", async () => {
    const dir = tempDir();
    const wide = { a: 1, b: 2, c: 3, d: 4, e: 5, f: "x".repeat(300) };
    const store = new Store<Record<string, unknown>>();
    await store.open(dir, { checkpointThreshold: 0 });
    await store.set("w", wide, { meta: { by: "ann" } });
    await store.set("w", { ...wide, a: 9 }); // a reverse delta is chosen
    await store.batch(() => {
      store.set("x", { n: 1 });
      store.delete("w");
    });
    await store.undo();
    const before = JSON.stringify(store.getOps());
    await store.close();
    const again = new Store<Record<string, unknown>>();
    await again.open(dir, { checkpointThreshold: 0 });
    expect(JSON.stringify(again.getOps())).toBe(before);
    await again.compact(); // now read from a sealed segment
    expect(JSON.stringify(again.getOps())).toBe(before);
    await again.close();
  });
});
