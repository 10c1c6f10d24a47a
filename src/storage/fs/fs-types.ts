import type { StacksState } from "../../model/undo-stacks.js";
import type { Operation, RepairReport } from "../../types.js";

/** What a directory holds when it is opened: the newest snapshot plus the log after it. */
export interface LoadedStore {
  schemaVersion: number;
  /** Records of the snapshot, as parsed (not yet frozen or migrated). */
  records: Map<string, unknown>;
  /** The snapshot shows the state after every operation with seq ≤ snapshotSeq. */
  snapshotSeq: number;
  /** Timestamp of the operation at snapshotSeq: new timestamps must come after it. */
  snapshotTs?: string;
  /** Undo/redo stacks as of snapshotSeq. */
  stacks?: StacksState;
  /** Retained operations with seq > snapshotSeq, oldest first, complete batches only. */
  ops: Operation[];
  repair?: RepairReport;
  /** The directory was written by opslog 0.x; the next checkpoint upgrades it. */
  legacy: boolean;
}

/** A log segment as the manifest and the writer know it. */
export interface SegmentInfo {
  file: string;
  firstSeq: number;
  /** Undefined for the active segment. */
  lastSeq: number | undefined;
  /** First and last operation timestamps of a sealed, non-empty segment. */
  firstTs?: string;
  lastTs?: string;
  bytes: number;
  /** Schema version of the values in the segment's operations. */
  schemaVersion: number;
}
