import type { StacksState } from "../model/undo-stacks.js";
import type { Operation, RepairReport } from "../types.js";

/** What a storage holds when it is opened: the newest snapshot plus the log after it. */
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
  /** Schema version of the data in `records` and `ops` (older data gets migrated). */
  repair?: RepairReport;
  /** The directory was written by opslog 0.x; the next checkpoint upgrades it. */
  legacy: boolean;
}

export interface SnapshotMeta {
  seq: number;
  ts: string | undefined;
  schemaVersion: number;
  stacks: StacksState;
}

/** A fixed picture of records to write: `ids[i]` holds `values[i]`. */
export interface RecordList {
  readonly ids: readonly string[];
  readonly values: readonly unknown[];
}

/** A RecordList of a map's current entries (a consistent picture while the map changes). */
export function recordList(map: ReadonlyMap<string, unknown>): RecordList {
  const ids: string[] = [];
  const values: unknown[] = [];
  map.forEach((value, id) => {
    ids.push(id);
    values.push(value);
  });
  return { ids, values };
}

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

export interface StorageSizes {
  /** Bytes of the log written since the last snapshot. */
  logBytesSinceSnapshot: number;
  snapshotBytes: number;
}

/**
 * The storage port: the few verbs the engine needs. Adapters (storage/fs, storage/memory) are
 * trusted with clean input and make each verb durable before returning.
 */
export interface Storage {
  readonly location: string;
  /** Recovers the stored state; for writers, takes the lock and trims a torn log tail. */
  load(): LoadedStore;
  /** Appends one write group (whole batches only); durable once `sync` returns. */
  append(ops: readonly Operation[], batchSizes: ReadonlyMap<number, number>): void;
  sync(): void;
  /** Throws when an earlier failure means nothing more may be appended. */
  checkWritable(): void;
  /** Seals the active log segment; operations from `nextSeq` on go to a new one. */
  roll(nextSeq: number): void;
  /**
   * Writes a snapshot of the state after `seq` and makes it the base of recovery. An abort of
   * `signal` while it streams out rejects with the signal's reason and leaves no file behind.
   */
  writeSnapshot(meta: SnapshotMeta, records: RecordList, signal?: AbortSignal): Promise<void>;
  /** Bytes in the active log segment (cheap: called after every commit). */
  activeSegmentBytes(): number;
  /** Retained log segments, oldest first; the last is the active one. */
  segments(): SegmentInfo[];
  /** The operations of a sealed segment (complete batches only). */
  readSegmentOps(segment: SegmentInfo): Operation[];
  /** Removes sealed segments whose operations all have seq ≤ `throughSeq`. */
  prune(throughSeq: number): void;
  /** Compresses sealed segments that are not compressed yet. */
  compressSealed(): Promise<void>;
  /** Merges `records` into archive segment `name` durably. */
  writeArchive(name: string, records: Iterable<[string, unknown]>): Promise<number>;
  readArchive(name: string): Map<string, unknown>;
  archiveSegments(): { name: string; records: number }[];
  sizes(): StorageSizes;
  /** Resolves when no background work (compression) of the storage is running. */
  idle(): Promise<void>;
  close(): void;
}
