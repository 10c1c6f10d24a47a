import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { expect } from "vitest";
import { Store } from "../../src/index.js";

/**
 * History in three sealed segments — seg 1 (seq 1), seg 2 (seq 2–3), seg 3 (seq 4) — then two
 * undos after the snapshot (seq 5 reverts 4, seq 6 reverts 3). Replaying the second undo at open
 * reads seg 2 to rebuild the undo stacks.
 */
export async function writeHistory(dir: string): Promise<void> {
  const store = new Store<{ v: number }>();
  await store.open(dir, { checkpointThreshold: 0, checkpointOnClose: false });
  await store.set("a", { v: 1 });
  await store.compact();
  await store.set("a", { v: 2 });
  await store.set("b", { v: 3 });
  await store.compact();
  await store.set("a", { v: 4 });
  await store.compact();
  await store.undo();
  await store.undo();
  await store.close();
}

/** Changes one byte inside the value of the segment's last record; returns the segment's name. */
export function damageSegment(dir: string, number: number): string {
  const base = path.join(dir, "ops", `seg-${String(number).padStart(6, "0")}.jsonl`);
  const compressed = fs.existsSync(`${base}.gz`);
  const file = compressed ? `${base}.gz` : base;
  const bytes = compressed ? zlib.gunzipSync(fs.readFileSync(file)) : fs.readFileSync(file);
  const at = bytes.lastIndexOf(Buffer.from('"v":')) + 4;
  expect(at).toBeGreaterThan(4);
  // Another digit: the record's CRC no longer matches.
  bytes[at] = bytes[at] === 0x37 ? 0x38 : 0x37;
  fs.writeFileSync(file, compressed ? zlib.gzipSync(bytes) : bytes);
  return path.relative(dir, file);
}
