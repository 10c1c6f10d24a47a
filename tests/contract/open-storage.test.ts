import { describe, expect, it } from "vitest";
import { FileStorage, Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

describe("open(storage): a storage object is one session at a time", () => {
  it("a FileStorage reopens after close, and refuses a second store while open", async () => {
    const dir = tempDir();
    const storage = new FileStorage(dir);
    const first = new Store<{ n: number }>();
    await first.open(storage);
    await first.set("a", { n: 1 });
    const second = new Store<{ n: number }>();
    await expect(second.open(storage)).rejects.toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT" });
    const ops = JSON.stringify(first.getOps());
    await first.close();
    await second.open(storage);
    expect(second.get("a")).toEqual({ n: 1 });
    expect(JSON.stringify(second.getOps())).toBe(ops);
    await second.close();
  });

  it("open(path) and open(new FileStorage(path)) are the same store", async () => {
    const dir = tempDir();
    const byPath = new Store<{ n: number }>();
    await byPath.open(dir);
    await byPath.set("a", { n: 1 });
    const ops = JSON.stringify(byPath.getOps());
    await byPath.close();
    const byStorage = new Store<{ n: number }>();
    await byStorage.open(new FileStorage(dir));
    expect(JSON.stringify(byStorage.getOps())).toBe(ops);
    await byStorage.close();
  });

  it("refuses what is neither a path nor a storage", async () => {
    for (const target of ["", 42, null, {}, { open: 1 }]) {
      await expect(new Store().open(target as never)).rejects.toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT" });
    }
  });
});
