import { fromUserCode } from "../errors.js";
import type { StoredState } from "../storage/port.js";
import type { Operation } from "../types.js";
import { checkNotNullRecord, toStoredValue } from "../model/value.js";
import { freezeParsed } from "../model/freeze.js";
import { parsedValue } from "../model/raw-record.js";
import { assert } from "../util/assert.js";
import { RecordTable } from "./record-table.js";

export interface MigrationOptions {
  version: number;
  migrate: ((record: unknown, fromVersion: number) => unknown) | undefined;
}

export interface RecoveredState {
  table: RecordTable;
  ops: Operation[];
  lastSeq: number;
  lastTs: string | undefined;
  /** Records were migrated: the caller checkpoints so the new version is persisted. */
  migrated: boolean;
}

/** Brings one stored value written under `from` to `options.version`; undefined: no migration. */
export function valueUpgrade(
  options: MigrationOptions,
  from: number,
): ((value: unknown) => unknown) | undefined {
  const migrate = options.migrate;
  if (!migrate || from >= options.version) return undefined;
  return (value) =>
    value === null || value === undefined
      ? value
      : toStoredValue(checkedNotNull(callMigrate(migrate, value, from)), "migrate(record)");
}

/**
 * Upgrades the values of parsed, not yet frozen operations in place. Every new value is made
 * before any is assigned, so a migrate() that throws leaves the operations untouched (a later
 * read must not migrate half of them twice).
 */
export function upgradeOperations(
  ops: readonly Operation[],
  upgrade: (value: unknown) => unknown,
): void {
  const prevs = ops.map((op) => (op.prev === null ? null : upgrade(op.prev)));
  const datas = ops.map((op) => (op.op === "set" ? upgrade(op.data) : undefined));
  ops.forEach((op, i) => {
    assert(!Object.isFrozen(op), "only fresh operations are upgraded");
    op.prev = prevs[i];
    if (op.op === "set") op.data = datas[i];
  });
}

/** Migrates (from `schemaVersion`) and freezes fresh operations read from storage, in place. */
export function readyOperations(ops: readonly Operation[], schemaVersion: number, options: MigrationOptions): void {
  const upgrade = valueUpgrade(options, schemaVersion);
  if (upgrade) upgradeOperations(ops, upgrade);
  for (const op of ops) {
    freezeParsed(op.prev);
    if (op.op === "set") freezeParsed(op.data);
    if (op.meta) freezeParsed(op.meta);
    Object.freeze(op);
  }
}

/**
 * Builds the in-memory state from what storage loaded: checkpoint records, then the log
 * replayed over them, migrating records written under an older schema version (SPEC §1
 * `migrate`). The record table is the only writer of the state, here as everywhere.
 */
export function rebuildState(stored: StoredState, options: MigrationOptions): RecoveredState {
  const upgrade = valueUpgrade(options, stored.schemaVersion);
  // Checkpoint records are frozen lazily, when first handed out (Store), to keep open fast.
  const table = new RecordTable(stored.checkpoint.records);
  if (upgrade) for (const [id, record] of table.records) table.put(id, upgrade(parsedValue(record)));
  // The operations are fresh objects from the storage: upgraded and frozen in place.
  const ops: Operation[] = stored.ops;
  const first = ops[0];
  if (first) assert(first.seq === stored.checkpoint.seq + 1, "replay starts at checkpoint seq + 1");
  readyOperations(ops, stored.schemaVersion, options);
  for (const op of ops) table.apply(op);
  const last = ops[ops.length - 1];
  assert((last?.seq ?? stored.checkpoint.seq) === stored.head, "the replayed log ends at the head");
  return {
    table,
    ops,
    lastSeq: stored.head,
    lastTs: last?.ts,
    migrated: upgrade !== undefined,
  };
}

/** A migrated record may not become null: `prev: null` means "did not exist". */
function checkedNotNull(value: unknown): unknown {
  checkNotNullRecord(value, "migrate(record)");
  return value;
}

function callMigrate(migrate: (value: unknown, from: number) => unknown, value: unknown, from: number): unknown {
  try {
    return migrate(value, from);
  } catch (error) {
    throw fromUserCode(error);
  }
}
