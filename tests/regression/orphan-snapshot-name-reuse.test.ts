import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { SimFileSystem } from "../helpers/sim-fs.js";

/**
 * Found by tests/simulation/io-faults.test.ts. A checkpoint whose snapshot was renamed into
 * place but whose manifest was never committed leaves snapshots/snap-N.jsonl behind, and the
 * manifest's nextFile still N. The next open lists that file as obsolete (to delete after the
 * next manifest commit) — and the next checkpoint writes its new snapshot under the same name
 * N, commits a manifest naming it, then deletes it as "obsolete". The directory then names a
 * snapshot that does not exist: open fails with ENOENT (OPSLOG_IO), and the log segments the
 * snapshot replaced are gone too.
 */
describe("regression: a leftover snapshot's name reused by the next checkpoint", () => {
  it("never deletes the snapshot the manifest names", async () => {
    const fs = new SimFileSystem({ seed: 21 });
    const options = { fileSystem: fs, checkpointThreshold: 0, checkpointOnClose: true };
    const store = new Store<unknown>();
    await store.open("/data/snap-reuse", options);
    await store.set("a", 1);
    // The close's checkpoint: roll (syncs ops/ and the store dir), then the snapshot's rename
    // and the sync of snapshots/ (3rd openDirectory), which fails: no manifest names it.
    fs.failAt({ at: 3, code: "EIO", calls: ["openDirectory"] });
    await store.close().catch(() => undefined);
    fs.clearFaults();
    expect(fs.listFiles("/data/snap-reuse").some((f) => f.startsWith("snapshots/snap-"))).toBe(true);
    // A new process (the failed close may keep this process's lock: use a moved copy).
    fs.moveDurable("/data/snap-reuse", "/data/snap-reuse-2");
    const second = new Store<unknown>();
    await second.open("/data/snap-reuse-2", options);
    expect(second.get("a")).toBe(1);
    // No writes: the close's checkpoint needs no roll, so its snapshot takes file number N.
    await second.close();
    const third = new Store<unknown>();
    await third.open("/data/snap-reuse-2", options);
    expect(third.get("a")).toBe(1);
    await third.close();
  });
});
