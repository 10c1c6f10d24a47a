import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { NodeFileSystem, Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Third review of issue 11: a reader in the writer's own thread took the writer's LOCK for a
 * leftover (a LOCK of this realm is live only through the registry, which a reader did not
 * check) and ignored the durability mark, so it showed a write whose fdatasync had failed; and a
 * LOCK that cannot be read (a directory) made read-only opens fail with OPSLOG_IO.
 */
describe("regression: readers and the writer's own LOCK", () => {
  it("a reader in the writer's thread does not show a write whose sync failed", async () => {
    const dir = tempDir();
    let failing = false;
    class FailingSync extends NodeFileSystem {
      override fdatasync(fd: number): void {
        if (failing) throw Object.assign(new Error("EIO: sync failed"), { code: "EIO" });
        super.fdatasync(fd);
      }
      override ftruncate(fd: number, length: number): void {
        if (failing) throw Object.assign(new Error("EIO: truncate failed"), { code: "EIO" });
        super.ftruncate(fd, length);
      }
    }
    const writer = new Store<{ v: string }>();
    await writer.open(dir, { fileSystem: new FailingSync(), checkpointOnClose: false });
    await writer.set("x", { v: "acked" });
    failing = true;
    await expect(writer.set("x", { v: "rejected" })).rejects.toMatchObject({ code: "OPSLOG_IO" });
    const reader = new Store<{ v: string }>();
    await reader.open(dir, { readOnly: true });
    expect(reader.get("x")).toEqual({ v: "acked" });
    expect(reader.stats().seq).toBe(1);
    await reader.close();
    failing = false;
    await writer.close().catch(() => undefined);
  });

  it("a LOCK that is a directory does not stop a read-only open", async () => {
    const dir = tempDir();
    const writer = new Store<{ v: number }>();
    await writer.open(dir);
    await writer.set("x", { v: 1 });
    await writer.close();
    fs.mkdirSync(path.join(dir, "LOCK"));
    const reader = new Store<{ v: number }>();
    await reader.open(dir, { readOnly: true });
    expect(reader.get("x")).toEqual({ v: 1 });
    await reader.close();
  });
});
