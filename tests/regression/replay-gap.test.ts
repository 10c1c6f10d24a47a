import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { OpslogError, Store } from "../../src/index.js";
import { readManifest, writeManifest, type Manifest } from "../../src/storage/fs/manifest-file.js";
import { NodeFileSystem } from "../../src/storage/fs/node-file-system.js";
import { tempDir } from "../helpers/temp-dir.js";

const files = new NodeFileSystem();

function manifestOf(dir: string): Manifest {
  const read = readManifest(files, dir);
  if (read.kind !== "current") throw new Error(`no current manifest in ${dir}`);
  return read.manifest;
}

async function writeSome(store: Store<{ n: number }>, from: number, to: number): Promise<void> {
  for (let n = from; n <= to; n++) await store.set(`k${n}`, { n });
}

async function openError(dir: string): Promise<OpslogError> {
  const error = await new Store().open(dir).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(OpslogError);
  return error as OpslogError;
}

/**
 * Defect 1 of issue 10 (the recovery half): when the snapshot a manifest names is older than
 * the retained log (a stale checkpoint committed last, after retention had pruned), recovery
 * replayed the log over it and silently dropped the operations in between. It must check that
 * replay starts right after the snapshot and report the gap, naming the seq numbers.
 */
describe("regression: recovery checks that replay starts at snapshot seq + 1", () => {
  it("a snapshot older than the retained log is OPSLOG_CORRUPTION naming the missing seqs", async () => {
    const dir = tempDir();
    const options = { checkpointThreshold: 0, checkpointOnClose: false, retain: { ops: 0 } };
    const store = new Store<{ n: number }>();
    await store.open(dir, options);
    await writeSome(store, 1, 3);
    await store.compact(); // Snapshot at seq 3.
    const stale = manifestOf(dir).snapshot!;
    const staleBytes = fs.readFileSync(path.join(dir, stale.file));
    await writeSome(store, 4, 6);
    await store.compact(); // Snapshot at seq 6; segments through seq 6 pruned.
    await writeSome(store, 7, 8);
    await store.close();
    // The stale snapshot is committed last, as the racing checkpoint did.
    fs.writeFileSync(path.join(dir, stale.file), staleBytes);
    writeManifest(files, dir, { ...manifestOf(dir), snapshot: stale });
    const error = await openError(dir);
    expect(error.code).toBe("OPSLOG_CORRUPTION");
    expect(error.message).toMatch(/\b3\b/);
    expect(error.message).toMatch(/\b4\b[^\d]+\b6\b/);
  });

  it("a snapshot newer than the end of the log is OPSLOG_CORRUPTION naming both seqs", async () => {
    const dir = tempDir();
    const older = tempDir();
    const options = { checkpointThreshold: 0, checkpointOnClose: false };
    const store = new Store<{ n: number }>();
    await store.open(dir, options);
    await writeSome(store, 1, 3);
    await store.compact(); // Snapshot at seq 3; the active segment starts at seq 4.
    await store.close();
    fs.cpSync(dir, older, { recursive: true });
    const reopened = new Store<{ n: number }>();
    await reopened.open(dir, options);
    await writeSome(reopened, 4, 6);
    await reopened.compact(); // Snapshot at seq 6.
    await reopened.close();
    // The older directory (log through seq 3) is pointed at the newer snapshot (seq 6).
    const newer = manifestOf(dir).snapshot!;
    fs.copyFileSync(path.join(dir, newer.file), path.join(older, newer.file));
    writeManifest(files, older, { ...manifestOf(older), snapshot: newer });
    const error = await openError(older);
    expect(error.code).toBe("OPSLOG_CORRUPTION");
    expect(error.message).toMatch(/\b3\b/);
    expect(error.message).toMatch(/\b6\b/);
  });
});
