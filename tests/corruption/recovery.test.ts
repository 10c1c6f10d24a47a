import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CorruptionError, Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

type Rec = { i: number; text: string };

async function writeStore(dir: string, count: number, options = {}): Promise<void> {
  const store = new Store<Rec>();
  await store.open(dir, { checkpointOnClose: false, ...options });
  for (let i = 0; i < count; i++) await store.set(`k${i}`, { i, text: `record ${i}` });
  await store.close();
}

async function openState(dir: string, options = {}): Promise<Record<string, Rec>> {
  const store = new Store<Rec>();
  await store.open(dir, options);
  const state = Object.fromEntries(store.entries());
  await store.close();
  return state;
}

const segment = (dir: string) => path.join(dir, "ops", "seg-000001.jsonl");

describe("torn tail", () => {
  it("a torn final record is trimmed; later writes are not glued to it", async () => {
    const dir = tempDir();
    await writeStore(dir, 5);
    const file = segment(dir);
    const full = fs.readFileSync(file);
    fs.writeFileSync(file, full.subarray(0, full.length - 20)); // Cut into the last record.
    const store = new Store<Rec>();
    await store.open(dir, { checkpointOnClose: false });
    expect(store.count()).toBe(4);
    await store.set("after", { i: 99, text: "after" });
    await store.close();
    const state = await openState(dir);
    expect(Object.keys(state).sort()).toEqual(["after", "k0", "k1", "k2", "k3"]);
  });

  it("a batch cut in the middle is wholly absent", async () => {
    const dir = tempDir();
    const store = new Store<Rec>();
    await store.open(dir, { checkpointOnClose: false });
    await store.set("before", { i: 0, text: "x" });
    await store.batch(() => {
      for (let i = 0; i < 5; i++) void store.set(`b${i}`, { i, text: "batch" });
    });
    await store.close();
    const file = segment(dir);
    const lines = fs.readFileSync(file, "utf8").split("\n");
    fs.writeFileSync(file, `${lines.slice(0, 4).join("\n")}\n`); // Before + 3 of 5 batch records.
    const state = await openState(dir);
    expect(Object.keys(state)).toEqual(["before"]);
  });
});

describe("damage before the end is corruption with file and offset", () => {
  it("a flipped byte in a middle record stops open with OPSLOG_CORRUPTION", async () => {
    const dir = tempDir();
    await writeStore(dir, 10);
    const file = segment(dir);
    const bytes = fs.readFileSync(file);
    const lineStarts = [0, ...[...bytes.entries()].filter(([, b]) => b === 10).map(([i]) => i + 1)];
    const third = lineStarts[2]!;
    bytes[third + 30] = bytes[third + 30]! ^ 0x01;
    fs.writeFileSync(file, bytes);
    const error = (await new Store().open(dir).catch((e: unknown) => e)) as CorruptionError;
    expect(error).toBeInstanceOf(CorruptionError);
    expect(error.code).toBe("OPSLOG_CORRUPTION");
    expect(error.file).toBe(path.join("ops", "seg-000001.jsonl"));
    expect(error.offset).toBe(third);
    expect(error.message).toContain(`at byte ${third}`);
  });

  it("repair keeps the valid prefix and moves the rest to quarantine", async () => {
    const dir = tempDir();
    await writeStore(dir, 10);
    const file = segment(dir);
    const bytes = fs.readFileSync(file);
    const cut = bytes.indexOf(10, bytes.indexOf(10, bytes.indexOf(10) + 1) + 1) + 1; // After 3 records.
    bytes[cut + 5] = 0x41;
    fs.writeFileSync(file, bytes);
    const store = new Store<Rec>();
    await store.open(dir, { repair: true });
    expect(store.count()).toBe(3);
    const report = store.stats().repair!;
    expect(report.quarantined).toHaveLength(1);
    expect(report.quarantined[0]).toMatchObject({ file: path.join("ops", "seg-000001.jsonl"), offset: cut });
    const moved = fs.readFileSync(path.join(dir, report.quarantined[0]!.quarantineFile));
    expect(moved.equals(bytes.subarray(cut))).toBe(true); // Nothing deleted.
    await store.set("new", { i: 1, text: "after repair" });
    await store.close();
    expect(Object.keys(await openState(dir))).toHaveLength(4);
  });

  it("a truncated snapshot is corruption; repair rebuilds from the log", async () => {
    const dir = tempDir();
    const store = new Store<Rec>();
    await store.open(dir);
    for (let i = 0; i < 20; i++) await store.set(`k${i}`, { i, text: "x" });
    await store.compact();
    await store.set("later", { i: 100, text: "y" });
    await store.close();
    const snapshots = fs.readdirSync(path.join(dir, "snapshots"));
    expect(snapshots).toHaveLength(1);
    const snap = path.join(dir, "snapshots", snapshots[0]!);
    const content = fs.readFileSync(snap);
    fs.writeFileSync(snap, content.subarray(0, content.length - 40));
    const error = (await new Store().open(dir).catch((e: unknown) => e)) as CorruptionError;
    expect(error.code).toBe("OPSLOG_CORRUPTION");
    expect(error.file).toBe(path.join("snapshots", snapshots[0]!));
    const repaired = new Store<Rec>();
    await repaired.open(dir, { repair: true });
    expect(repaired.count()).toBe(21); // The whole log is retained, so nothing is lost.
    expect(repaired.stats().repair?.quarantined[0]?.file).toBe(path.join("snapshots", snapshots[0]!));
    await repaired.close();
    expect(Object.keys(await openState(dir))).toHaveLength(21);
  });

  it("a garbage manifest is corruption naming manifest.json", async () => {
    const dir = tempDir();
    await writeStore(dir, 3);
    fs.writeFileSync(path.join(dir, "manifest.json"), '{"format":"opslog","formatVersion":1,"garbage');
    const error = (await new Store().open(dir).catch((e: unknown) => e)) as CorruptionError;
    expect(error.code).toBe("OPSLOG_CORRUPTION");
    expect(error.file).toBe("manifest.json");
    fs.writeFileSync(path.join(dir, "manifest.json"), Buffer.from([0xff, 0x00, 0x13]));
    await expect(new Store().open(dir)).rejects.toMatchObject({ code: "OPSLOG_CORRUPTION" });
  });

  it("a manifest from a newer format is OPSLOG_VERSION", async () => {
    const dir = tempDir();
    await writeStore(dir, 1);
    const file = path.join(dir, "manifest.json");
    const text = fs.readFileSync(file, "utf8").replace('"formatVersion":1', '"formatVersion":9');
    const { encodeLine } = await import("../../src/storage/fs/log-format.js");
    const record = JSON.parse(text) as Record<string, unknown>;
    delete record["crc"];
    fs.writeFileSync(file, encodeLine(record));
    await expect(new Store().open(dir)).rejects.toMatchObject({ code: "OPSLOG_VERSION" });
  });
});
