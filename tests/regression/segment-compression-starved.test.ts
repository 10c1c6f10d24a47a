import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { segmentBytesMax } from "../../src/storage/fs/fs-storage.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Found while profiling the bulk-load benchmark: zlib's asynchronous gzip hands its output back
 * in 16 KiB chunks, one event-loop turn each, so a writer that kept the loop busy starved the
 * compression of a sealed segment for seconds. Until it finished no other segment was sealed
 * and no checkpoint ran: the active segment grew far past its 8 MiB bound and the whole load was
 * left for close() to snapshot.
 */
describe("regression: compression of sealed segments starved by a busy writer", () => {
  it("keeps sealing segments and checkpointing during a long bulk load", async () => {
    const dir = tempDir();
    const store = new Store<{ n: number; pad: string }>();
    await store.open(dir);
    const pad = "x".repeat(400);
    let largest = 0;
    for (let batch = 0; batch < 90; batch++) {
      await store.batch(() => {
        for (let k = 0; k < 1000; k++) void store.set(`r${batch}-${k}`, { n: k, pad });
      });
      for (const name of fs.readdirSync(path.join(dir, "ops"))) {
        if (name.endsWith(".jsonl")) largest = Math.max(largest, fs.statSync(path.join(dir, "ops", name)).size);
      }
    }
    // Without the fix the active segment reached the whole load (> 40 MiB) before anything ran.
    expect(largest).toBeLessThan(2 * segmentBytesMax);
    const names = fs.readdirSync(path.join(dir, "snapshots"));
    expect(names.length).toBeGreaterThan(0); // A checkpoint ran before close().
    await store.close();
  });
});
