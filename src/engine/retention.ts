import type { Storage } from "../storage/port.js";
import { assert } from "../util/assert.js";
import type { History } from "./history.js";
import { seqAtTime } from "./history-query.js";

/** Which history to keep: everything, or at least the newest `ops` operations / `ms` of time. */
export type RetentionPolicy = "all" | { ops?: number; ms?: number };

/** What retention needs: the history, the storage's prune verb and the injected clock. */
export interface RetentionTarget {
  history: History;
  storage: Pick<Storage, "applyRetention">;
  /** Wall-clock milliseconds from the injected clock. */
  nowMs(): number;
}

/**
 * Prunes history the retention policy no longer needs, never past the checkpoint just committed
 * (`checkpointSeq`): the next open replays the log after it. Time comes from the injected
 * clock, like every timestamp the store writes. The storage drops what its units of keeping
 * allow (whole log segments for files).
 */
export function applyRetention(target: RetentionTarget, retain: RetentionPolicy, checkpointSeq: number): void {
  if (retain === "all") return;
  const history = target.history;
  assert(checkpointSeq <= history.lastSeq, "the checkpoint is not ahead of the log");
  let through = checkpointSeq;
  if (retain.ops !== undefined) through = Math.min(through, history.lastSeq - retain.ops);
  if (retain.ms !== undefined) {
    // Operations strictly older than the cutoff may go.
    const cutoffMicros = (target.nowMs() - retain.ms) * 1000;
    through = Math.min(through, seqAtTime(history, cutoffMicros - 1));
  }
  if (through < history.oldestSeq) return;
  assert(through <= checkpointSeq, "retention prunes only up to the committed checkpoint");
  target.storage.applyRetention(through);
  history.clip(history.oldestSeq);
}
