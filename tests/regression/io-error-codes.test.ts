import { describe, expect, it } from "vitest";
import { OpslogError, Store } from "../../src/index.js";
import { SimFileSystem, type SimCall } from "../helpers/sim-fs.js";

/**
 * Found by tests/simulation/crash.test.ts and io-faults.test.ts: a file-system failure inside a
 * checkpoint (compact(), close()) or an archive reached the caller as the raw node error
 * (EIO/ENOSPC/EACCES) instead of an OpslogError with code OPSLOG_IO (SPEC §1: "I/O failures
 * reject the returned promise"; STYLE: errors carry a stable code).
 */
async function failing(call: SimCall, run: (store: Store<unknown>) => Promise<unknown>): Promise<unknown> {
  const fs = new SimFileSystem({ seed: 3 });
  const store = new Store<unknown>();
  await store.open(`/data/io-codes-${call}`, { fileSystem: fs, checkpointThreshold: 0, checkpointOnClose: false });
  await store.set("a", 1);
  fs.failAt({ at: 1, code: "ENOSPC", calls: [call] });
  const error = await run(store).then(
    () => undefined,
    (e: unknown) => e,
  );
  fs.clearFaults();
  await store.close().catch(() => undefined);
  return error;
}

describe("regression: I/O failures reject with OPSLOG_IO", () => {
  for (const call of ["rename", "fsync", "write"] as const) {
    it(`compact() when ${call} fails`, async () => {
      const error = await failing(call, (store) => store.compact());
      expect(error).toBeInstanceOf(OpslogError);
      expect((error as OpslogError).code).toBe("OPSLOG_IO");
      expect((error as Error).message).toMatch(/ENOSPC/);
    });
  }

  it("archive() when writing the archive segment fails", async () => {
    const error = await failing("write", (store) => store.archive(() => true, "old"));
    expect(error).toBeInstanceOf(OpslogError);
    expect((error as OpslogError).code).toBe("OPSLOG_IO");
  });
});

describe("regression: a failed background checkpoint is visible", () => {
  it("stats().checkpointError names it until a checkpoint succeeds", async () => {
    const fs = new SimFileSystem({ seed: 5 });
    const store = new Store<unknown>();
    await store.open("/data/bg-checkpoint", { fileSystem: fs, checkpointThreshold: 3, checkpointOnClose: false });
    fs.failAt({ at: 1, code: "ENOSPC", calls: ["rename"], forever: true });
    for (let i = 0; i < 3; i++) await store.set(`k${i}`, i);
    await store.flush();
    for (let i = 0; i < 20 && store.stats().checkpointError === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(store.stats().checkpointError).toMatchObject({ code: "OPSLOG_IO" });
    expect(store.stats().checkpointError?.message).toMatch(/ENOSPC/);
    fs.clearFaults();
    await store.compact();
    expect(store.stats().checkpointError).toBeUndefined();
    expect(store.count()).toBe(3);
    await store.close();
  });
});
