import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { NodeFileSystem, Store, type OpenFlags } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Second review of issue 11: the durability mark was trusted whoever wrote it and whether or not
 * a writer was running. A mark left behind (never synced, so a power loss can leave it behind
 * the log; or a backup copy) made read-only opens, `opslog info/get/export` and followers hide
 * acknowledged operations while no writer ran; and a writer that does not publish marks (an
 * older opslog) left new readers stuck at the previous session's mark for good.
 */
describe("regression: the durability mark only holds readers back beside the live writer that wrote it", () => {
  it("a stale mark with no writer running hides nothing", async () => {
    const dir = tempDir();
    const writer = new Store<{ i: number }>();
    await writer.open(dir, { checkpointOnClose: false });
    for (let i = 1; i <= 3; i++) await writer.set(`k${i}`, { i });
    const stale = fs.readFileSync(path.join(dir, "DURABLE"));
    for (let i = 4; i <= 6; i++) await writer.set(`k${i}`, { i });
    await writer.close();
    fs.writeFileSync(path.join(dir, "DURABLE"), stale); // As a power loss may leave it.
    const reader = new Store<{ i: number }>();
    await reader.open(dir, { readOnly: true });
    expect(reader.stats().seq).toBe(6);
    expect(reader.get("k6")).toEqual({ i: 6 });
    await reader.close();
  });

  it("a live writer that does not publish marks is not held to an earlier session's", async () => {
    const dir = tempDir();
    const first = new Store<{ i: number }>();
    await first.open(dir, { checkpointOnClose: false });
    await first.set("x", { i: 0 });
    await first.close();
    // A writer whose mark writes are lost (as an opslog without marks would not write them).
    class NoMark extends NodeFileSystem {
      override open(file: string, flags: OpenFlags): number {
        return super.open(path.basename(file) === "DURABLE" ? `${file}.ignored` : file, flags);
      }
    }
    const writer = new Store<{ i: number }>();
    await writer.open(dir, { fileSystem: new NoMark(), checkpointOnClose: false });
    for (let i = 1; i <= 4; i++) await writer.set(`y${i}`, { i });
    const reader = new Store<{ i: number }>();
    await reader.open(dir, { readOnly: true });
    expect(reader.stats().seq).toBe(5);
    await reader.close();
    await writer.close();
  });
});
