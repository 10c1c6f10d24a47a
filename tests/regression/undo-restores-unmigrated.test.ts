import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

interface V1 {
  name: string;
}
interface V2 {
  first: string;
  version: 2;
}

const migrate = (record: unknown, from: number): V2 => {
  expect(from).toBe(1);
  return { first: (record as V1).name, version: 2 };
};

/** Every value the store hands out or writes back is at v2: no `name` field anywhere. */
function expectV2(value: unknown): void {
  if (value === null || value === undefined) return;
  expect(value).toMatchObject({ version: 2 });
  expect(value).not.toHaveProperty("name");
}

/** v1 data whose whole history is in sealed segments: seg 1 (seq 1), seg 2 (seq 2–3). */
async function writeV1(dir: string): Promise<void> {
  const v1 = new Store<V1>();
  await v1.open(dir, { checkpointThreshold: 0 });
  await v1.set("a", { name: "Ann" });
  await v1.compact();
  await v1.set("a", { name: "Bea" });
  await v1.set("b", { name: "Bob" });
  await v1.close(); // Checkpoints: seq 2–3 are sealed too.
}

/**
 * Defect 6 of issue 10: opening v1 data with { version: 2, migrate } migrated the snapshot and
 * the replayed log, but operations read from sealed segments came back raw, so undo() of a
 * change restored the v1 value, for good, and getHistory/getOps/at() showed v1 values.
 */
describe("regression: undo and history read from sealed segments are migrated", () => {
  it("undo of a change whose prev is in a sealed segment writes back the v2 value", async () => {
    const dir = tempDir();
    await writeV1(dir);
    const store = new Store<V2>();
    await store.open(dir, { version: 2, migrate, checkpointThreshold: 0 });
    expect(await store.undo()).toBe(true); // Reverts seq 3: b did not exist.
    expect(await store.undo()).toBe(true); // Reverts seq 2: a back to Ann.
    expect(store.get("a")).toEqual({ first: "Ann", version: 2 });
    await store.close();
    const after = new Store<V2>();
    await after.open(dir, { version: 2, migrate });
    expect(after.get("a")).toEqual({ first: "Ann", version: 2 });
    expect(after.has("b")).toBe(false);
    for (const op of after.getOps()) {
      expectV2(op.data);
      expectV2(op.prev);
    }
    await after.close();
  });

  it("getHistory, getOps and at() return v2 values from sealed segments across reopens", async () => {
    const dir = tempDir();
    await writeV1(dir);
    for (let round = 0; round < 2; round++) {
      // The second round reads a manifest already at v2, whose old segments hold v1 operations.
      const store = new Store<V2>();
      await store.open(dir, { version: 2, migrate, checkpointThreshold: 0 });
      const ops = store.getOps();
      expect(ops.length).toBe(3 + round);
      for (const op of ops) {
        expectV2(op.data);
        expectV2(op.prev);
      }
      for (const op of store.getHistory("a")) expectV2(op.prev);
      expect((await store.at(1)).get("a")).toEqual({ first: "Ann", version: 2 });
      expect((await store.at(2)).get("b")).toBeUndefined();
      await store.set("c", { first: "Cy", version: 2 }); // A v2 operation after the old ones.
      await store.close();
    }
  });

  it("a read-only store migrates sealed history in memory", async () => {
    const dir = tempDir();
    await writeV1(dir);
    const reader = new Store<V2>();
    await reader.open(dir, { version: 2, migrate, readOnly: true });
    expect(reader.get("a")).toEqual({ first: "Bea", version: 2 });
    const ops = reader.getOps();
    expect(ops.length).toBe(3);
    for (const op of ops) {
      expectV2(op.data);
      expectV2(op.prev);
    }
    expect((await reader.at(1)).get("a")).toEqual({ first: "Ann", version: 2 });
    await reader.close();
  });

  it("an upgraded opslog 0.x directory keeps its old history migrated across reopens", async () => {
    const dir = tempDir();
    fs.cpSync(path.resolve("tests/fixtures/legacy/a-snapshot-and-log"), dir, { recursive: true });
    const tag = (record: unknown, from: number) => ({ ...(record as object), migratedFrom: from });
    for (let round = 0; round < 2; round++) {
      const store = new Store();
      await store.open(dir, { version: 3, migrate: tag });
      const ops = store.getOps();
      expect(ops.length).toBeGreaterThan(0);
      for (const op of ops) {
        if (op.data !== undefined) expect(op.data).toHaveProperty("migratedFrom", 1);
        if (op.prev !== null) expect(op.prev).toHaveProperty("migratedFrom", 1);
      }
      await store.close();
    }
    // The segment written before the migration carries its version (docs/FORMAT.md).
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as {
      schemaVersion: number;
      segments: { schemaVersion?: number }[];
    };
    expect(manifest.schemaVersion).toBe(3);
    expect(manifest.segments[0]!.schemaVersion).toBe(1);
    expect(manifest.segments.at(-1)!.schemaVersion).toBeUndefined();
  });
});
