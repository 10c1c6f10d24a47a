import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

describe("smoke", () => {
  it("runs the README flow across a reopen", async () => {
    const dir = path.join(tempDir(), "data");
    const s = new Store<{ name: string }>();
    await s.open(dir);
    await s.set("a", { name: "A" });
    await s.set("b", { name: "B" });
    await s.batch(() => {
      void s.set("c", { name: "C" });
      void s.delete("a");
    });
    expect(s.all()).toEqual([{ name: "B" }, { name: "C" }]);
    expect(await s.undo()).toBe(true);
    expect(s.get("a")).toEqual({ name: "A" });
    expect(await s.redo()).toBe(true);
    expect(s.has("a")).toBe(false);
    await s.compact();
    expect(s.stats().opsCount).toBe(0);
    await s.set("d", { name: "D" });
    expect(await s.archive((v) => v.name === "B", "old")).toBe(1);
    expect(s.listArchiveSegments()).toEqual(["old"]);
    expect([...(await s.loadArchive("old")).entries()]).toEqual([["b", { name: "B" }]]);
    await s.close();
    const t = new Store<{ name: string }>();
    await t.open(dir);
    expect(Object.fromEntries(t.entries())).toEqual({ c: { name: "C" }, d: { name: "D" } });
    expect(t.stats()).toMatchObject({ activeRecords: 2, archiveSegments: 1, archivedRecords: 1 });
    await t.close();
    console.log(fs.readdirSync(dir, { recursive: true }));
  });
});
