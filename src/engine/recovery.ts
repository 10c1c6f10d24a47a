import type { LoadedStore } from "../storage/port.js";
import type { Operation } from "../types.js";
import { freezeParsed, toStoredValue } from "../model/value.js";
import { parsedValue } from "../model/raw-record.js";
import { applyOperation, type State } from "../model/operation.js";

export interface MigrationOptions {
  version: number;
  migrate: ((record: unknown, fromVersion: number) => unknown) | undefined;
}

export interface RecoveredState {
  state: State;
  ops: Operation[];
  lastSeq: number;
  lastTs: string | undefined;
  /** Records were migrated: the caller checkpoints so the new version is persisted. */
  migrated: boolean;
}

/**
 * Builds the in-memory state from what storage loaded: snapshot records, then the log replayed
 * over them, migrating records written under an older schema version (SPEC §1 `migrate`).
 */
export function rebuildState(loaded: LoadedStore, options: MigrationOptions): RecoveredState {
  const from = loaded.schemaVersion;
  const migrate = options.migrate && from < options.version ? options.migrate : undefined;
  const upgrade = (value: unknown): unknown =>
    migrate && value !== null && value !== undefined
      ? toStoredValue(migrate(value, from), "migrate(record)")
      : freezeParsed(value);
  // Snapshot records are frozen lazily, when first handed out (Store), to keep open fast.
  const state: State = loaded.records;
  if (migrate) for (const [id, record] of state) state.set(id, upgrade(parsedValue(record)));
  // The operations are fresh objects from the reader: upgraded and frozen in place.
  const ops: Operation[] = loaded.ops;
  for (const op of ops) {
    if (op.prev !== null) op.prev = upgrade(op.prev);
    if (op.op === "set") op.data = upgrade(op.data);
    if (op.meta) freezeParsed(op.meta);
    Object.freeze(op);
    applyOperation(state, op);
  }
  const last = ops[ops.length - 1];
  return {
    state,
    ops,
    lastSeq: last?.seq ?? loaded.snapshotSeq,
    lastTs: last?.ts,
    migrated: migrate !== undefined,
  };
}
