import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { OpslogError, Store } from "../../src/index.js";
import { damageSegment, writeHistory } from "../helpers/sealed-history.js";
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
});
