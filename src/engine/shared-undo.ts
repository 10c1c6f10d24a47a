import { ConflictError } from "../errors.js";
import { compensation, reapplication, type Change } from "../model/operation.js";
import { recordAt } from "../model/raw-record.js";
import type { Operation } from "../types.js";
import type { History } from "./history.js";
import type { SharedQueue } from "./shared-queue.js";

/** Changes to append, with the version each record must still have (WriteIntent.expected). */
export interface GuardedChanges {
  changes: Change[];
  expected: (number | undefined)[];
}

interface Reverting {
  readonly history: History;
  readonly shared: SharedQueue;
  readonly records: ReadonlyMap<string, unknown>;
}

/**
 * undo() on a shared log: this writer's last unit, reverted only if no other writer changed
 * its records since. Checked here against the caught-up state (each record's version must be
 * this unit's last operation on it) and again by the storage (the same versions as expected).
 */
export function guardedUndo(engine: Reverting, unit: readonly Operation[]): GuardedChanges {
  const last = new Map<string, number>();
  for (const op of unit) last.set(op.id, op.seq);
  for (const [id, seq] of last) checkVersion(engine, id, seq, "undo");
  return guard([...unit].reverse().map(compensation), last);
}

/**
 * redo() on a shared log: the unit undo() reverted, re-applied only if each of its records is
 * still as that undo left it (its version is this writer's compensating operation).
 */
export function guardedRedo(engine: Reverting, unit: readonly Operation[]): GuardedChanges {
  const first = unit[0]!.seq;
  const lastSeq = unit[unit.length - 1]!.seq;
  const versions = new Map<string, number>();
  for (const op of unit) {
    if (versions.has(op.id)) continue;
    const version = engine.shared.versions.get(op.id) ?? 0;
    const undone = version > 0 ? engine.history.get(version).undo : undefined;
    if (undone === undefined || undone < first || undone > lastSeq) throw changedSince(engine, op.id, "redo");
    versions.set(op.id, version);
  }
  return guard(unit.map(reapplication), versions);
}

/** The first change of each record carries its expected version; later ones follow it. */
function guard(changes: Change[], versions: ReadonlyMap<string, number>): GuardedChanges {
  const seen = new Set<string>();
  const expected = changes.map((change) => {
    if (seen.has(change.id)) return undefined;
    seen.add(change.id);
    return versions.get(change.id);
  });
  return { changes, expected };
}

function checkVersion(engine: Reverting, id: string, seq: number, verb: string): void {
  if ((engine.shared.versions.get(id) ?? 0) !== seq) throw changedSince(engine, id, verb);
}

function changedSince(engine: Reverting, id: string, verb: string): ConflictError {
  const entry = engine.records.get(id);
  const value = entry === undefined ? undefined : recordAt(engine.records, id, entry);
  const version = engine.shared.versionOf(id);
  return new ConflictError(
    `${verb}() was refused: another writer changed record ${JSON.stringify(id)} since (it is at version ${version})`,
    { id, value, version },
  );
}
