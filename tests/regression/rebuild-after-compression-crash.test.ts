import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

type Value = { n: number };

/** The history as text, fields in one order (operations in memory list `prev` first). */
function opsText(store: Store<Value>): string {
  return JSON.stringify(store.getOps().map(({ seq, ts, op, id, data, prev }) => ({ seq, ts, op, id, data, prev })));
}

/**
 * Issue 10, found by reading: a crash while a sealed segment is compressed (after
 * seg-N.jsonl.gz is in place, before seg-N.jsonl is removed) leaves both files. Should the
 * manifest be damaged too, its rebuild listed every file matching the segment pattern, so
 * segment N appeared twice: once with the wrong range, once as itself.
 */
describe("regression: manifest rebuild after a crash during compression", () => {
  it("names each segment once and opens with every operation", async () => {
    const dir = tempDir();
    const store = new Store<Value>();
    await store.open(dir, { checkpointThreshold: 0, checkpointOnClose: false });
    for (let n = 1; n <= 10; n++) await store.set(`r${n % 4}`, { n });
    await store.compact(); // seg 1 (ops 1–10) sealed and compressed
    for (let n = 11; n <= 20; n++) await store.set(`r${n % 4}`, { n });
    await store.compact(); // seg 2 (ops 11–20) too
    for (let n = 21; n <= 25; n++) await store.set(`r${n % 4}`, { n });
    const expectedOps = opsText(store);
    const expectedState = JSON.stringify(store.entries());
    await store.close();
    // The crash: seg 1's original is still there beside its compressed copy.
    const ops = path.join(dir, "ops");
    const packed = fs.readFileSync(path.join(ops, "seg-000001.jsonl.gz"));
    fs.writeFileSync(path.join(ops, "seg-000001.jsonl"), zlib.gunzipSync(packed));
    fs.writeFileSync(path.join(dir, "manifest.json"), '{"format":"opslog-manifest","damaged');

    const repaired = new Store<Value>();
    await repaired.open(dir, { repair: true, checkpointOnClose: false });
    expect(JSON.stringify(repaired.entries())).toBe(expectedState);
    expect(opsText(repaired)).toBe(expectedOps);
    await repaired.close();
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as {
      segments: { file: string; firstSeq: number }[];
    };
    const named = manifest.segments.map((s) => s.file);
    expect(named.filter((file) => file.includes("seg-000001")).length).toBe(1);
    expect(new Set(manifest.segments.map((s) => s.firstSeq)).size).toBe(manifest.segments.length);
    // The store goes on: compression and retention must not lose seg 1 through a second entry.
    const writer = new Store<Value>();
    await writer.open(dir, { checkpointThreshold: 0, retain: { ops: 25 } });
    for (let n = 26; n <= 30; n++) await writer.set(`r${n % 4}`, { n });
    await writer.compact();
    await writer.close();
    const again = new Store<Value>();
    await again.open(dir, { readOnly: true });
    expect(opsText(again).startsWith(expectedOps.slice(0, -1))).toBe(true);
    expect(again.getOps().map((op) => op.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    await again.close();
  });
});
