import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { OpslogError, Store } from "../../src/index.js";
import { writeHistory } from "../helpers/sealed-history.js";
import { SimFileSystem } from "../helpers/sim-fs.js";
import { tempDir } from "../helpers/temp-dir.js";

function openFileCount(): number | undefined {
  return fs.existsSync("/proc/self/fd") ? fs.readdirSync("/proc/self/fd").length : undefined;
}

/** Changes one byte inside the last record of the snapshot; returns the snapshot's name. */
function damageSnapshot(dir: string): string {
  const name = fs.readdirSync(path.join(dir, "snapshots"))[0]!;
  const file = path.join(dir, "snapshots", name);
  const bytes = fs.readFileSync(file);
  const at = bytes.lastIndexOf(Buffer.from('"v":')) + 4;
  expect(at).toBeGreaterThan(4);
  bytes[at] = bytes[at] === 0x37 ? 0x38 : 0x37; // Another digit: the record's CRC fails.
  fs.writeFileSync(file, bytes);
  return path.join("snapshots", name);
}

/**
 * Defect 10 of issue 10: an open that failed after taking the lock kept the LOCK and the active
 * segment's descriptor, so the next open in the same process got OPSLOG_LOCKED instead of the
 * real error. (The damage was first in a sealed segment that rebuilding the undo stacks read;
 * since issue 11 the stacks know their unit bounds and open reads no sealed segment, so the
 * damage is now in the snapshot, which open must read.)
 */
describe("regression: a failed open releases the lock and its descriptors", () => {
  it("a second open reports the same corruption, not OPSLOG_LOCKED", async () => {
    const dir = tempDir();
    await writeHistory(dir);
    const damaged = damageSnapshot(dir);
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

