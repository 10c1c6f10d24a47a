import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Issue 10, defect 7: set(id, null) was accepted, but `prev: null` also means "did not exist",
 * so undo, at() and the revert of a failed write deleted an acknowledged null record. A
 * top-level null is now refused at the call; nested nulls stay fine; data written before the
 * change (tests/fixtures/top-level-null) still opens and reads null.
 */
const invalid = expect.objectContaining({
  code: "OPSLOG_INVALID_VALUE",
  message: expect.stringContaining("store an object or delete the record") as unknown,
});

function fixtureCopy(): string {
  const dir = tempDir();
  fs.cpSync(path.resolve("tests/fixtures/top-level-null/store"), dir, { recursive: true });
  return dir;
}

describe("regression: a top-level null record", () => {
  it("is refused by set() and inside a batch, leaving the store unchanged", async () => {
    const store = new Store<unknown>();
    await store.open(tempDir());
    await store.set("a", { v: 1 });
    expect(() => store.set("n", null)).toThrow(invalid);
    expect(() => store.set("a", null)).toThrow(invalid);
    await expect(
      store.batch(() => {
        void store.set("b", { v: 2 });
        void store.set("n", null);
      }),
    ).rejects.toThrow(invalid);
    expect(store.has("n")).toBe(false);
    expect(store.has("b")).toBe(false);
    expect(JSON.stringify(store.get("a"))).toBe('{"v":1}');
    expect(store.stats().seq).toBe(1);
    await store.set("nested", { a: null, b: [null, { c: null }] });
    expect(JSON.stringify(store.get("nested"))).toBe('{"a":null,"b":[null,{"c":null}]}');
    await store.close();
  });

  it("written by an older version opens and reads null, before and after compaction", async () => {
    const dir = fixtureCopy();
    for (let round = 0; round < 2; round++) {
      const store = new Store<unknown>();
      await store.open(dir);
      expect(store.has("n")).toBe(true);
      expect(store.get("n")).toBeNull();
      expect(store.has("m")).toBe(true);
      expect(store.get("m")).toBeNull();
      expect(JSON.stringify(store.get("kept"))).toBe('{"a":null,"b":[null,{"c":null}]}');
      expect((await store.at(3)).get("m")).toBeNull();
      expect((await store.at(4)).get("n")).toEqual({ x: 1 });
      expect(store.getHistory("n").map((op) => op.data)).toEqual([null, { x: 1 }, null]);
      if (round === 0) await store.compact();
      await store.close();
    }
    const store = new Store<unknown>();
    await store.open(dir);
    await store.set("n", { x: 2 }); // An old null record can be replaced by an object.
    expect(store.get("n")).toEqual({ x: 2 });
    await store.close();
  });
});
