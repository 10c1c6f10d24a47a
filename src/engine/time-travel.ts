import { resolvePoint, type HistoryPoint } from "../util/time.js";
import { StoreView } from "../view.js";
import type { History } from "./history.js";
import { toSeq } from "./history-query.js";
import type { RecordTable } from "./record-table.js";
import { assert } from "../util/assert.js";

/** What time travel needs from the engine. */
export interface TimeTravelSource {
  readonly history: History;
  readonly table: RecordTable;
  readonly lastSeq: number;
  readonly lastTs: string | undefined;
  readonly durableSeq: number;
  /** Resolves once every write in flight is durable or reverted. */
  settle(): Promise<void>;
}

/**
 * The state after every operation with seq ≤ point (or ts ≤ point), never part of a batch: a
 * point inside a batch shows the state before it. Built from a copy of the current records by
 * reverting the operations after the point with their `prev` values, newest first.
 */
export async function viewAt<T>(source: TimeTravelSource, point: HistoryPoint): Promise<StoreView<T>> {
  const resolved = resolvePoint(point, "point");
  // A view shows durable state only: wait for the writes in flight up to the point.
  if (resolved.kind === "time" || resolved.seq > source.durableSeq) await source.settle();
  const history = source.history;
  let seq = Math.min(toSeq(history, resolved), source.durableSeq);
  if (resolved.kind === "time") history.checkTimeReach(seq, resolved.micros, source.lastTs);
  else history.checkReach(seq);
  if (seq >= history.oldestSeq && seq < source.lastSeq) {
    const op = history.get(seq);
    const next = history.get(seq + 1);
    if (op.batch !== undefined && next.batch === op.batch) seq = op.batch - 1;
  }
  const table = source.table.copy();
  const later = history.range(seq + 1, source.lastSeq);
  history.checkReach(seq); // Again: a read-only store may have learnt of pruning meanwhile.
  for (let i = later.length - 1; i >= 0; i--) table.revert(later[i]!);
  const ts = seq > 0 && seq >= history.oldestSeq ? history.get(seq).ts : undefined;
  assert(seq <= source.durableSeq, "a view's seq is at most the durable seq");
  return new StoreView<T>(table.records, seq, ts);
}
