import { describe, expect, it } from "vitest";
import { crashTrial, dryRun } from "../helpers/crash-trial.js";

/**
 * Found by tests/simulation/crash.test.ts (replayed here: workload 1654074516, power loss at
 * file-system call 86). A sealed log segment is compressed after a write; the manifest commit
 * of that compression fails (the disk is gone). The failure path then rebuilds the undo stacks
 * (History.truncateAfter → UndoStacks.track → popUndo → History.get), which reads the sealed
 * segment from disk inside the commit queue's setImmediate callback: that read fails too, and
 * the error escapes as an uncaught exception (which ends a real process) while the calls still
 * queued never settle (a hang). Errors on the failure path must reject the queued calls.
 */
describe("regression: an I/O error on the write-failure path", () => {
  it("rejects the calls in flight instead of escaping as an uncaught exception", async () => {
    const workloadSeed = 1654074516;
    expect(await dryRun(workloadSeed)).toBeGreaterThan(86);
    expect(await crashTrial(workloadSeed, 86)).toBeUndefined();
  });
});
