import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { OpslogError, Store } from "../../src/index.js";
import { damageSegment, writeHistory } from "../helpers/sealed-history.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Defect 10 of issue 10: damage in an old sealed segment (history before the snapshot) made the
 * store unopenable, even with { repair: true }, though the state itself was intact. Repair must
 * move the damaged history aside (with the older segments, so history stays contiguous), report
 * the seq range lost, and open.
 */
describe("regression: repair of damaged sealed history", () => {
  it("without repair, reading that history reports OPSLOG_CORRUPTION with file and offset", async () => {
    const dir = tempDir();
    const store = new Store<{ v: number }>();
    await store.open(dir, { checkpointThreshold: 0 });
    await store.set("a", { v: 1 });
    await store.compact();
    await store.set("a", { v: 2 });
    await store.close();
    const damaged = damageSegment(dir, 1);
    const reader = new Store<{ v: number }>();
    await reader.open(dir);
    expect(reader.get("a")).toEqual({ v: 2 });
    let error: unknown;
    try {
      reader.getOps();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(OpslogError);
    expect((error as OpslogError).code).toBe("OPSLOG_CORRUPTION");
    expect((error as { file?: string }).file).toBe(damaged);
    expect((error as { offset?: number }).offset).toBeGreaterThanOrEqual(0);
    await reader.close();
  });

  it("repair quarantines the damaged segment and the older ones, reports the lost range, opens", async () => {
    const dir = tempDir();
    await writeHistory(dir);
    const damaged = damageSegment(dir, 2);
    const older = path.relative(dir, path.join(dir, "ops", fs.readdirSync(path.join(dir, "ops"))[0]!));
    expect(older).toMatch(/seg-000001/);
    const store = new Store<{ v: number }>();
    await store.open(dir, { repair: true });
    expect(store.get("a")).toEqual({ v: 2 });
    expect(store.has("b")).toBe(false);
    const report = store.stats().repair!;
    expect(report.lostHistory).toEqual({ fromSeq: 1, toSeq: 3 });
    const moved = report.quarantined.map((entry) => entry.file);
    expect(moved).toEqual(expect.arrayContaining([older, damaged]));
    for (const entry of report.quarantined) {
      expect(fs.existsSync(path.join(dir, entry.quarantineFile))).toBe(true);
    }
    expect(store.getOps().map((op) => op.seq)).toEqual([4, 5, 6]);
    expect(store.stats().historyOps).toBe(3);
    expect(await store.undo()).toBe(false); // What undo would revert is in the lost history.
    // The redo of seq 3 reached into the lost history; the redo of seq 4 remains.
    expect(await store.redo()).toBe(true);
    expect(store.get("a")).toEqual({ v: 4 });
    await store.close();
    const again = new Store<{ v: number }>();
    await again.open(dir);
    expect(again.stats().repair).toBeUndefined();
    expect(again.getOps()[0]!.seq).toBe(4);
    await again.close();
  });
});
