import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { OpslogError, Store } from "../../src/index.js";
import { damageSegment, writeHistory } from "../helpers/sealed-history.js";
import { SimFileSystem } from "../helpers/sim-fs.js";
import { tempDir } from "../helpers/temp-dir.js";

function openFileCount(): number | undefined {
  return fs.existsSync("/proc/self/fd") ? fs.readdirSync("/proc/self/fd").length : undefined;
}

/**
 * Defect 10 of issue 10: an open that failed after taking the lock (here: rebuilding the undo
 * stacks read a damaged sealed segment) kept the LOCK and the active segment's descriptor, so
 * the next open in the same process got OPSLOG_LOCKED instead of the real error.
 */
describe("regression: a failed open releases the lock and its descriptors", () => {
  it("a second open reports the same corruption, not OPSLOG_LOCKED", async () => {
    const dir = tempDir();
    await writeHistory(dir);
    const damaged = damageSegment(dir, 2);
    const before = openFileCount();
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await new Store().open(dir).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(OpslogError);
      expect((error as OpslogError).code).toBe("OPSLOG_CORRUPTION");
      expect((error as { file?: string }).file).toBe(damaged);
      expect(typeof (error as { offset?: number }).offset).toBe("number");
    }
    expect(openFileCount()).toBe(before);
    expect(fs.existsSync(path.join(dir, "LOCK"))).toBe(false);
    // The lock is free: a writer can open the directory with repair.
    const repaired = new Store();
    await repaired.open(dir, { repair: true });
    await repaired.close();
  });

  it("an open whose migration checkpoint fails rejects and holds nothing", async () => {
    const files = new SimFileSystem({ seed: 10 });
    const dir = "/data/migration-fails";
    const v1 = new Store<{ name: string }>();
    await v1.open(dir, { fileSystem: files });
    await v1.set("a", { name: "Ann" });
    await v1.close();
    const migrate = (record: unknown) => ({ first: (record as { name: string }).name });
    // Every manifest commit fails: the migrated state cannot be persisted.
    files.failAt({ at: 1, code: "ENOSPC", calls: ["rename"], forever: true });
    const error = await new Store().open(dir, { fileSystem: files, version: 2, migrate }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OpslogError);
    expect((error as OpslogError).code).toBe("OPSLOG_IO");
    expect(files.openDescriptors()).toBe(0);
    files.clearFaults();
    const v2 = new Store<{ first: string }>();
    await v2.open(dir, { fileSystem: files, version: 2, migrate });
    expect(v2.get("a")).toEqual({ first: "Ann" });
    await v2.close();
  });
});

