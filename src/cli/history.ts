/**
 * History access for `log`, `at`, `export --ops`, `undo` and `redo`.
 *
 * The history API of SPEC §3 (`store.ops()`, `store.at()`, `store.redo()`) is used when the
 * store has it. Until it lands, the stopgaps below work on what exists (`getOps()` and current
 * state): they are marked STOPGAP and are deleted once the API is there (docs/CLI.md).
 */
import type { Point } from "./args.js";
import { parseIsoMicros, type AnyStore, type Operation } from "./engine.js";
import { CliError, exitCodes } from "./errors.js";

export interface OpsQuery {
  /** Exclusive. */
  since?: Point;
  /** Inclusive. */
  until?: Point;
  id?: string;
}

/** The read-only state of a store at a point in history. */
export interface StateView {
  seq: number;
  ts?: string;
  get(id: string): unknown;
  has(id: string): boolean;
  entries(): Iterable<[string, unknown]>;
}

/** The history API, which the store may not have yet. */
interface HistoryApi {
  ops?(query: OpsQuery): AsyncIterable<Operation>;
  at?(point: Point): Promise<StateView>;
  redo?(): Promise<boolean>;
}

function historyApi(store: AnyStore): HistoryApi {
  return store as unknown as HistoryApi;
}

/** True when `op` comes after `point` (a seq, or an ISO timestamp compared by time). */
export function isAfter(op: Operation, point: Point): boolean {
  if (typeof point === "number") return op.seq > point;
  const opMicros = parseIsoMicros(op.ts) ?? Number.NaN;
  return opMicros > (parseIsoMicros(point) ?? Number.NaN);
}

export function matches(op: Operation, query: OpsQuery): boolean {
  if (query.id !== undefined && op.id !== query.id) return false;
  if (query.since !== undefined && !isAfter(op, query.since)) return false;
  if (query.until !== undefined && isAfter(op, query.until)) return false;
  return true;
}

/** The retained operations matching `query`, oldest first. */
export async function* listOps(store: AnyStore, query: OpsQuery): AsyncIterable<Operation> {
  const api = historyApi(store);
  if (api.ops) {
    yield* api.ops.call(store, definedOnly(query));
    return;
  }
  // STOPGAP until store.ops() lands: getOps() loads the whole retained history.
  for (const op of store.getOps()) if (matches(op, query)) yield op;
}

export async function redo(store: AnyStore): Promise<boolean> {
  const api = historyApi(store);
  if (api.redo) return api.redo.call(store);
  throw new CliError(
    "OPSLOG_UNSUPPORTED",
    "redo needs the history API (store.redo()), which this build of opslog does not have yet",
    exitCodes.failed,
  );
}

/** The state at `point`: after every operation at or before it, never part of a batch. */
export async function stateAt(store: AnyStore, point: Point): Promise<StateView> {
  const api = historyApi(store);
  if (api.at) return api.at.call(store, point);
  return replayBackward(store, point);
}

function definedOnly(query: OpsQuery): OpsQuery {
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined));
}

/**
 * STOPGAP until store.at() lands: starts from the current state and restores each later
 * operation's `prev`, newest first. A batch the point falls inside is reverted whole.
 */
function replayBackward(store: AnyStore, point: Point): StateView {
  const ops = store.getOps();
  const state = new Map<string, unknown>(store.entries());
  let index = ops.length - 1;
  let revertedBatch: number | undefined;
  for (; index >= 0; index--) {
    const op = ops[index] as Operation;
    const insideReverted = revertedBatch !== undefined && op.batch === revertedBatch;
    if (!isAfter(op, point) && !insideReverted) break;
    if (op.prev === null) state.delete(op.id);
    else state.set(op.id, op.prev);
    revertedBatch = op.batch;
  }
  const last = index >= 0 ? (ops[index] as Operation) : undefined;
  const oldest = ops[0];
  const reachedSeq = last?.seq ?? (oldest ? oldest.seq - 1 : store.stats().seq);
  if (
    last === undefined &&
    reachedSeq > 0 &&
    !(typeof point === "number" && point >= reachedSeq)
  ) {
    throw new CliError(
      "OPSLOG_INVALID_ARGUMENT",
      `history before seq ${reachedSeq} is no longer retained; the oldest reachable point is ` +
        `seq ${reachedSeq}`,
      exitCodes.failed,
    );
  }
  return mapView(state, reachedSeq, last?.ts);
}

function mapView(state: Map<string, unknown>, seq: number, ts: string | undefined): StateView {
  return {
    seq,
    ...(ts !== undefined ? { ts } : {}),
    get: (id) => state.get(id),
    has: (id) => state.has(id),
    entries: () => state.entries(),
  };
}
