import { describe, expect, it } from "vitest";
import { toIoError } from "../../src/errors.js";
import { candidateModels, mismatch, type Issued } from "../helpers/workload.js";

/**
 * Found by tests/simulation/io-faults.test.ts (OPSLOG_SEED=1718646075; replay
 * OPSLOG_WORKLOAD_SEED=618958114 OPSLOG_FAULT_STEP=139 OPSLOG_FAULT_CODE=ENOSPC
 * OPSLOG_FAULT_FOREVER=1): in one phase an undo failed while reading the history (before it
 * queued anything, memory unchanged), then a batch of the same phase was appended partly (the
 * whole batch record reached the file) before ENOSPC, and the truncation back failed too. After
 * a power loss the store holds the rejected batch without the undo: a state the store may
 * reach, which the test's candidates left out because they assumed a phase's calls reach the
 * log as a prefix in call order, also past a call that never entered the log.
 */
describe("a failed undo that never reached the log, then a later call of its phase", () => {
  it("the later call on disk without the undo is a candidate", () => {
    const big = { n: 4 };
    const readFailure = toIoError("reading the history", Object.assign(new Error("ENOSPC"), {
      code: "ENOSPC",
    }));
    const appendFailure = toIoError("appending to ops/seg-000002.jsonl", new Error("ENOSPC"));
    const issued: Issued[] = [
      {
        intent: { kind: "set", id: "g", value: big }, expected: undefined, outcome: "acked",
        phase: 0,
      },
      { intent: { kind: "undo" }, expected: true, outcome: "failed", error: readFailure, phase: 1 },
      {
        intent: { kind: "batch", changes: [{ id: "d", value: "v10" }] },
        expected: undefined, outcome: "failed", error: appendFailure, phase: 1,
      },
    ];
    const recovered = new Map<string, unknown>([["d", "v10"], ["g", big]]);
    const observed = { active: recovered, archive: new Map<string, Map<string, unknown>>() };
    expect(mismatch(observed, candidateModels(issued))).toBeUndefined();
  });

  it("a call that failed at its append keeps the later ones out (negative control)", () => {
    const appendFailure = toIoError("appending to ops/seg-000001.jsonl", new Error("ENOSPC"));
    const issued: Issued[] = [
      {
        intent: { kind: "set", id: "a", value: 1 }, expected: undefined, outcome: "failed",
        error: appendFailure, phase: 0,
      },
      {
        intent: { kind: "set", id: "b", value: 2 }, expected: undefined, outcome: "failed",
        error: appendFailure, phase: 0,
      },
    ];
    const observed = { active: new Map<string, unknown>([["b", 2]]), archive: new Map() };
    expect(mismatch(observed, candidateModels(issued))).toBeDefined();
  });
});
