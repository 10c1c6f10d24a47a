import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { NodeFileSystem } from "../../src/index.js";
import { DurableMark, durableOps, readDurableMark } from "../../src/storage/fs/durable-mark.js";
import { tempDir } from "../helpers/temp-dir.js";

describe("the durability mark", () => {
  it("reads back what was published, and tells a missing mark from a damaged one", () => {
    const dir = tempDir();
    const files = new NodeFileSystem();
    expect(readDurableMark(files, dir)).toBeUndefined();
    const mark = DurableMark.open(files, dir, "0123456789abcdef");
    expect(readDurableMark(files, dir)).toBeNull(); // Created, not yet written: unreadable.
    mark.publish(0);
    expect(readDurableMark(files, dir)).toEqual({ seq: 0, token: "0123456789abcdef" });
    mark.publish(9_007_199_254_740_991);
    expect(readDurableMark(files, dir)?.seq).toBe(Number.MAX_SAFE_INTEGER);
    mark.publish(42);
    expect(fs.readFileSync(path.join(dir, "DURABLE"), "latin1")).toMatch(/^0{14}42 0123456789abcdef [0-9a-f]{8}\n$/);
    expect(readDurableMark(files, dir)?.seq).toBe(42);
    mark.close();
    const text = fs.readFileSync(path.join(dir, "DURABLE"), "latin1");
    fs.writeFileSync(path.join(dir, "DURABLE"), text.replace("0042", "0043")); // CRC no longer matches.
    expect(readDurableMark(files, dir)).toBeNull();
    fs.writeFileSync(path.join(dir, "DURABLE"), text.slice(0, 10));
    expect(readDurableMark(files, dir)).toBeNull();
  });

  it("cuts operations after the mark, never inside a batch", () => {
    const ops = [{ seq: 1 }, { seq: 2, batch: 2 }, { seq: 3, batch: 2 }, { seq: 4 }];
    expect(durableOps(ops, undefined)).toBe(ops);
    expect(durableOps(ops, null)).toBe(ops);
    expect(durableOps(ops, 4)).toBe(ops);
    expect(durableOps(ops, 3).map((op) => op.seq)).toEqual([1, 2, 3]);
    expect(durableOps(ops, 2).map((op) => op.seq)).toEqual([1]);
    expect(durableOps(ops, 0)).toEqual([]);
  });
});
