import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { SimFileSystem } from "../helpers/sim-fs.js";

/**
 * Found by tests/simulation/io-faults.test.ts. A checkpoint first rolls the log: it creates
 * the next segment, syncs ops/, commits a manifest naming it (temp file, fsync, rename, sync of
 * the store directory) and closes the old segment. When a step after the manifest's rename
 * fails, FsStorage.roll() throws without adopting the manifest it already put on disk:
 * - the store directory's sync fails: writes go on into the old segment, while the manifest on
 *   disk says the new segment starts at the next seq. The next open appends to the new segment
 *   and the open after that silently drops what it appended: an acknowledged write is lost
 *   (in longer runs the open fails instead with OPSLOG_CORRUPTION "seq N where M was
 *   expected" on a directory holding only acknowledged data);
 * - closing the old segment fails: the storage keeps the closed writer, and every later write
 *   rejects with a raw AssertionError ("append after close") instead of OPSLOG_IO.
 */
async function openStore(fs: SimFileSystem, dir: string): Promise<Store<unknown>> {
  const store = new Store<unknown>();
  await store.open(dir, { fileSystem: fs, checkpointThreshold: 0, checkpointOnClose: false });
  return store;
}

describe("regression: a roll that fails after its manifest is on disk", () => {
  it("keeps every acknowledged write when the store directory's sync fails", async () => {
    const fs = new SimFileSystem({ seed: 11 });
    const store = await openStore(fs, "/data/roll-dirsync");
    await store.set("a", 1);
    // roll(): 1st openDirectory syncs ops/, the 2nd syncs the store dir after the rename.
    fs.failAt({ at: 2, code: "EIO", calls: ["openDirectory"] });
    await store.compact().catch(() => undefined);
    fs.clearFaults();
    const acknowledged: string[] = [];
    for (const id of ["b", "c"]) {
      const ok = await store.set(id, 2).then(() => true, () => false);
      if (ok) acknowledged.push(id);
    }
    await store.close();
    const again = await openStore(fs, "/data/roll-dirsync");
    expect(again.get("a")).toBe(1);
    for (const id of acknowledged) expect(again.get(id)).toBe(2);
    await again.set("d", 3);
    await again.close();
    const third = await openStore(fs, "/data/roll-dirsync");
    expect(third.get("d")).toBe(3);
    await third.close();
  });

  it("rejects later writes with OPSLOG_IO (or makes them) when closing the old segment fails", async () => {
    const fs = new SimFileSystem({ seed: 12 });
    const store = await openStore(fs, "/data/roll-close");
    await store.set("a", 1);
    const before = fs.calls;
    // roll() closes: ops/ dir fd, manifest temp file, store dir fd, then the old segment (4th).
    fs.failAt({ at: 4, code: "EIO", calls: ["close"] });
    await store.compact().catch(() => undefined);
    fs.clearFaults();
    expect(fs.calls).toBeGreaterThan(before);
    const error = await store.set("b", 2).then(() => undefined, (e: unknown) => e);
    if (error !== undefined) expect((error as { code?: string }).code).toBe("OPSLOG_IO");
    await store.close().catch(() => undefined);
  });
});
