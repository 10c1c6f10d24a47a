import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Golden files pin format version 1 (docs/FORMAT.md): a store written by a fixed workload with a
 * fixed clock must produce these bytes exactly, and these bytes must open to the same state.
 * After an intentional format change, bump the version and regenerate with UPDATE_GOLDEN=1.
 */
const golden = path.resolve("tests/fixtures/format-v1");
/** The same workload written before manifests recorded a snapshot's size and whole-file CRC. */
const goldenWithoutFileCrc = path.resolve("tests/fixtures/format-v1-no-file-crc");
/** The same workload written before snapshot undo entries recorded their unit kind. */
const goldenWithoutUnitKinds = path.resolve("tests/fixtures/format-v1-no-unit-kinds");
const files = [
  "manifest.json",
  "ops/seg-000001.jsonl.gz",
  "ops/seg-000002.jsonl",
  "snapshots/snap-000003.jsonl",
  "archive/done.jsonl",
];

async function writeWorkload(dir: string): Promise<void> {
  let now = Date.parse("2026-01-02T03:04:05.000Z") * 1000;
  const store = new Store<Record<string, unknown>>();
  await store.open(dir, { clock: () => (now += 250), checkpointOnClose: false });
  await store.set("a", { title: "first", tags: ["x", "y"] }, { meta: { actor: "ann" } });
  await store.set("b", { title: "second", done: true });
  await store.batch(() => {
    void store.set("c", { title: "ünïcode ☃", n: 1.5 });
    void store.delete("a");
  });
  await store.undo();
  await store.compact();
  await store.archive((value) => value["done"] === true, "done");
  await store.close();
}

describe("format version 1 golden files", () => {
  it("the writer produces the golden bytes", async () => {
    const dir = tempDir();
    await writeWorkload(dir);
    if (process.env["UPDATE_GOLDEN"]) {
      for (const file of files) {
        fs.mkdirSync(path.dirname(path.join(golden, file)), { recursive: true });
        fs.copyFileSync(path.join(dir, file), path.join(golden, file));
      }
    }
    // Compressed segments are compared by content: zlib versions may pack the bytes differently.
    const text = (file: string) => {
      const bytes = fs.readFileSync(file);
      return (file.endsWith(".gz") ? zlib.gunzipSync(bytes) : bytes).toString("utf8");
    };
    // The manifest records compressed sizes (and so its checksum) that depend on zlib's version.
    const comparable = (file: string) => {
      if (!file.endsWith("manifest.json")) return text(file);
      const manifest = JSON.parse(text(file)) as { crc?: string; segments: { file: string; bytes?: number }[] };
      delete manifest.crc;
      for (const segment of manifest.segments) if (segment.file.endsWith(".gz")) delete segment.bytes;
      return JSON.stringify(manifest);
    };
    for (const file of files) {
      expect(comparable(path.join(dir, file)), file).toBe(comparable(path.join(golden, file)));
    }
  });

  it.each([
    ["the golden directory", golden],
    ["the golden directory without whole-file CRCs", goldenWithoutFileCrc],
    ["the golden directory without undo unit kinds", goldenWithoutUnitKinds],
  ])("%s opens to the expected state and history", async (_name, source) => {
    const dir = path.join(tempDir(), "copy");
    fs.cpSync(source, dir, { recursive: true });
    const store = new Store<Record<string, unknown>>();
    await store.open(dir, { readOnly: true });
    expect(Object.fromEntries(store.entries())).toEqual({ a: { title: "first", tags: ["x", "y"] } });
    expect(store.getOps().map((op) => [op.seq, op.op, op.id, op.batch, op.undo, op.archive])).toEqual([
      [1, "set", "a", undefined, undefined, undefined],
      [2, "set", "b", undefined, undefined, undefined],
      [3, "set", "c", 3, undefined, undefined],
      [4, "delete", "a", 3, undefined, undefined],
      [5, "set", "a", 5, 4, undefined],
      [6, "delete", "c", 5, 3, undefined],
      [7, "delete", "b", undefined, undefined, "done"],
    ]);
    expect(store.getOps()[0]?.meta).toEqual({ actor: "ann" });
    expect(Object.keys(Object.fromEntries((await store.at(4)).entries())).sort()).toEqual(["b", "c"]);
    expect(store.stats()).toMatchObject({ seq: 7, activeRecords: 1, archivedRecords: 1 });
    expect(Object.fromEntries(await store.loadArchive("done"))).toEqual({ b: { title: "second", done: true } });
    await store.close();
  });
});
