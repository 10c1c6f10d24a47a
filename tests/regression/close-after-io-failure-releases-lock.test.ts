import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { SimFileSystem } from "../helpers/sim-fs.js";

/**
 * Found by tests/simulation/crash.test.ts: when the checkpoint that close() runs fails (disk
 * error, disk full), close() rejected before releasing anything, so the directory stayed locked
 * by "another Store in this process" and its descriptors stayed open: the program could not
 * reopen its store without restarting. A failed close must still release the lock and files.
 */
describe("regression: close() after an I/O failure", () => {
  it("releases the lock and the descriptors even when its checkpoint fails", async () => {
    const fs = new SimFileSystem({ seed: 7 });
    const dir = "/data/close-failure";
    const store = new Store<unknown>();
    await store.open(dir, { fileSystem: fs, checkpointThreshold: 0 });
    await store.set("a", 1);
    fs.failAt({ at: 1, code: "EIO", forever: true });
    await store.close().catch(() => undefined);
    fs.clearFaults();
    expect(fs.openDescriptors()).toBe(0);
    const again = new Store<unknown>();
    await again.open(dir, { fileSystem: fs, checkpointThreshold: 0 });
    expect(again.get("a")).toBe(1);
    await again.close();
  });
});
