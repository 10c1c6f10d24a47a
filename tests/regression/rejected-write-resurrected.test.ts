import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { SimFileSystem } from "../helpers/sim-fs.js";

/**
 * Found by tests/simulation/io-faults.test.ts. When fdatasync of the log fails, the write's
 * promise rejects with OPSLOG_IO and the store (rightly) refuses further writes — but the
 * rejected record's bytes stay in the log file. After a plain restart (no crash: the page cache
 * still holds them) the next open replays the rejected operation: a set the caller saw fail is
 * now in the store, and what was read before the restart differs from what is read after it
 * (SPEC §2.3). The writer should cut the file back to its last synced size when a sync fails.
 */
describe("regression: a write rejected by a failed sync", () => {
  it("does not reappear after a restart", async () => {
    const fs = new SimFileSystem({ seed: 31 });
    const options = { fileSystem: fs, checkpointThreshold: 0, checkpointOnClose: false };
    const store = new Store<unknown>();
    await store.open("/data/resurrect", options);
    await store.set("a", 1);
    fs.failAt({ at: 1, code: "EIO", calls: ["fdatasync"] });
    const error = await store.set("b", 2).then(() => undefined, (e: unknown) => e);
    fs.clearFaults();
    expect((error as { code?: string }).code).toBe("OPSLOG_IO");
    expect(store.has("b")).toBe(false);
    await store.close().catch(() => undefined);
    const again = new Store<unknown>();
    await again.open("/data/resurrect", options);
    expect(again.get("a")).toBe(1);
    expect(again.has("b")).toBe(false);
    await again.close();
  });
});
