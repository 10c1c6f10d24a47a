import { InvalidArgumentError, isFromUserCode, OpslogError, toIoError } from "./errors.js";
import type { CheckpointPolicy } from "./engine/checkpointer.js";
import type { Engine, EngineOptions } from "./engine/engine.js";
import { toSeq } from "./engine/history-query.js";
import { checkId } from "./model/value.js";
import type { ArchiveStorage, Storage } from "./storage/port.js";
import type { Operation, StoreOptions, WatchOptions } from "./types.js";
import { resolvePoint, systemClock } from "./util/time.js";

/* The Store facade's helpers: option translation, checks and error mapping (store.ts). */
export function engineOptions<T>(options: StoreOptions<T>): EngineOptions {
  return {
    writeMode: options.writeMode ?? "immediate",
    groupCommitMs: options.groupCommitMs ?? 5,
    clock: options.clock ?? systemClock,
    readOnly: options.readOnly === true,
    repair: options.repair === true,
    policy: checkpointPolicy(options.checkpointThreshold),
    retain: options.retain ?? "all",
    version: options.version ?? 1,
    migrate: options.migrate as ((record: unknown, from: number) => unknown) | undefined,
  };
}

export function checkWatchOptions(options: WatchOptions): WatchOptions {
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError("watch options must be an object");
  const { since, id, signal } = options;
  if (since !== undefined) resolvePoint(since, "since");
  if (id !== undefined) checkId(id);
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidArgumentError("signal must be an AbortSignal");
  }
  return options;
}

/**
 * Where a feed starting at `since` begins: the seq it yields after, and for a time, the time
 * its operations must come after (operations in flight may have earlier timestamps). Throws
 * OPSLOG_INVALID_ARGUMENT when history there was pruned, by seq or by time, as at() does.
 */
export function feedStart(
  engine: Engine,
  since: NonNullable<WatchOptions["since"]>,
): { after: number; afterMicros?: number } {
  const point = resolvePoint(since, "since");
  if (point.kind === "seq") {
    engine.history.checkReach(point.seq);
    return { after: point.seq };
  }
  const seq = Math.min(toSeq(engine.history, point), engine.durableSeq);
  engine.history.checkTimeReach(seq, point.micros, engine.lastTs);
  return { after: seq, afterMicros: point.micros };
}

/** The storage's archive, or OPSLOG_INVALID_ARGUMENT when it declares none. */
export function archiveOf(storage: Storage): ArchiveStorage {
  if (!storage.capabilities.archive || !storage.archive) {
    throw new InvalidArgumentError(`the storage at ${storage.location} has no archive`);
  }
  return storage.archive;
}

/**
 * A migration must be checkpointed before the store is used: operations written after it are
 * at the new version, and a log the manifest still calls old would be migrated twice.
 */
export function checkMigrationPersisted(engine: Engine): void {
  const failure = engine.checkpointer.lastError;
  if (engine.migrated && failure !== undefined) throw failure;
}

export function checkpointPolicy(threshold: number | undefined): CheckpointPolicy {
  if (threshold === undefined) return { kind: "adaptive" };
  if (threshold === 0 || threshold === Infinity) return { kind: "off" };
  return { kind: "ops", threshold };
}

export function withoutBatch(op: Operation): Operation {
  const { batch: _batch, ...rest } = op;
  return Object.freeze(rest);
}

/** Runs a read of the history (which may read log segments) with I/O failures as OPSLOG_IO. */
export function readingHistory<R>(read: () => R): R {
  try {
    const result = read();
    if (result instanceof Promise) {
      return result.catch((error: unknown) => {
        throw asIoError("reading the history", error);
      }) as R;
    }
    return result;
  } catch (error) {
    throw asIoError("reading the history", error);
  }
}

/** ops() with I/O failures as OPSLOG_IO, like getOps(). */
export async function* readingOps(ops: AsyncIterable<Operation>): AsyncGenerator<Operation> {
  try {
    yield* ops;
  } catch (error) {
    throw asIoError("reading the history", error);
  }
}

/** File-system failures reach the caller as OPSLOG_IO; typed errors pass through. */
export function asIoError(action: string, error: unknown): unknown {
  return error instanceof OpslogError || isFromUserCode(error) ? error : toIoError(action, error);
}

/** A background failure as stats() shows it (code and message), or undefined when none. */
export function errorSummary(action: string, failure: unknown): { code: string; message: string } | undefined {
  if (failure === undefined) return undefined;
  const error = asIoError(action, failure) as { code?: string; message?: string };
  return { code: error.code ?? "OPSLOG_IO", message: error.message ?? String(failure) };
}
