import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Found by reading (issue 10): a checkpoint requested while a full segment (8 MiB) was being
 * sealed and compressed was dropped: the seal's "running" slot swallowed the request, and no
 * snapshot followed until the next request. Every request now queues behind the running work.
 */
describe("regression: a checkpoint requested during a seal", () => {
  it("is written once the seal is done", async () => {
    const dir = tempDir();
    const big = "x".repeat(1024 * 1024);
    const store = new Store<{ n: number; big: string }>();
    await store.open(dir, { checkpointThreshold: 9 });
    for (let i = 1; i <= 8; i++) await store.set(`r${i}`, { n: i, big }); // the 8th fills 8 MiB
    await store.set("r9", { n: 9, big }); // the threshold: a checkpoint while the seal runs
    const snapshotSeq = () =>
      (JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as { snapshot: { seq: number } | null })
        .snapshot?.seq;
    // The snapshot follows in the background: wait for it (up to 15 s on a busy machine).
    for (let waited = 0; waited < 15_000 && snapshotSeq() !== 9; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(snapshotSeq()).toBe(9);
    await store.close();
  });
});
