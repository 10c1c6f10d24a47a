import { InvalidArgumentError } from "./errors.js";
import type { Engine } from "./engine/engine.js";
import { guardedRedo, guardedUndo } from "./engine/shared-undo.js";
import type { WriteIntent } from "./engine/write-queue.js";
import { readingHistory } from "./store-support.js";
import type { Operation, OperationOptions } from "./types.js";

/* The Store facade's helpers for storages many writers share (docs/POSTGRES.md "Semantics"). */

/** The write intent of `options`, checked (expectedVersion needs a shared storage). */
export function intentOf(engine: Engine, options: OperationOptions | undefined): WriteIntent {
  const intent: WriteIntent = {};
  if (options?.overwrite !== undefined) {
    if (typeof options.overwrite !== "boolean") throw new InvalidArgumentError("overwrite must be a boolean");
    intent.overwrite = options.overwrite;
  }
  const expected = options?.expectedVersion;
  if (expected !== undefined) {
    if (!Number.isSafeInteger(expected) || expected < 0) {
      throw new InvalidArgumentError("expectedVersion must be a whole number ≥ 0 (store.version(id))");
    }
    sharedOf(engine, "expectedVersion");
    intent.expected = [expected];
  }
  return intent;
}

/** The engine's shared queue, or OPSLOG_INVALID_ARGUMENT naming `what` on a single writer. */
export function sharedOf(engine: Engine, what: string): NonNullable<Engine["shared"]> {
  if (!engine.shared) {
    throw new InvalidArgumentError(
      `${what} needs a storage many writers share (PostgreSQL); ${engine.storage.location} has one writer, whose reads are always current`,
    );
  }
  return engine.shared;
}

/**
 * undo() or redo() on a shared log: once everything this store wrote is settled and the state
 * caught up, this writer's last unit (undo) or the unit it last undid (redo), guarded by the
 * versions they left (engine/shared-undo.ts). `stillWritable` checks the store again after the
 * waits (it may have closed meanwhile).
 */
export async function sharedRevert(
  engine: Engine,
  verb: "undo" | "redo",
  stillWritable: () => Engine,
  check: (ops: Operation[]) => void,
): Promise<boolean> {
  const shared = sharedOf(engine, `${verb}()`);
  await shared.flush();
  await shared.catchUp();
  stillWritable();
  const history = engine.history;
  const unit = readingHistory(() => (verb === "undo" ? history.peekUndo() : history.peekRedo()));
  if (!unit) return false;
  const target = { history, shared, records: engine.records };
  const guard = verb === "undo" ? guardedUndo : guardedRedo;
  const { changes, expected } = readingHistory(() => guard(target, unit));
  const ops = engine.apply(changes, undefined);
  check(ops); // Unique indexes: takes the changes back and throws if they duplicate a value.
  await engine.commit(ops, undefined, { expected });
  return true;
}
