import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { SimFileSystem } from "../helpers/sim-fs.js";

/**
 * Found by reading (issue 10): after a failed fdatasync in immediate mode, close() still sealed
 * the log segment and wrote a snapshot, although after a failed sync nothing about the log file
 * is known (fsyncgate). close() must release everything without writing anything more.
 */
describe("regression: close() after a failed fdatasync", () => {
  it("neither rolls the log nor writes a snapshot", async () => {
    const fs = new SimFileSystem({ seed: 11 });
    const dir = "/data/failed-sync";
    const store = new Store<{ n: number }>();
    await store.open(dir, { fileSystem: fs });
    await store.set("a", { n: 1 });
    fs.failAt({ at: 1, code: "EIO", calls: ["fdatasync"] });
    await expect(store.set("b", { n: 2 })).rejects.toMatchObject({ code: "OPSLOG_IO" });
    fs.clearFaults();
    const before = fs.listFiles(dir).sort();
    await store.close().catch(() => undefined);
    const after = fs.listFiles(dir).filter((f) => !f.endsWith("LOCK")).sort();
    expect(after).toEqual(before.filter((f) => !f.endsWith("LOCK")));
    expect(fs.openDescriptors()).toBe(0);
    const again = new Store<{ n: number }>();
    await again.open(dir, { fileSystem: fs });
    expect(again.get("a")).toEqual({ n: 1 });
    expect(again.has("b")).toBe(false);
    await again.close();
  });
});
