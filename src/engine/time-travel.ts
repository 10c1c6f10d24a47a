import { revertOperation, type State } from "../model/operation.js";
import { resolvePoint, type HistoryPoint } from "../util/time.js";
import { StoreView } from "../view.js";
import type { Engine } from "./engine.js";
import { toSeq } from "./history-query.js";
import { assert } from "../util/assert.js";

/**
 * The state after every operation with seq ≤ point (or ts ≤ point), never part of a batch: a
 * point inside a batch shows the state before it. Built from the current state by reverting the
 * operations after the point with their `prev` values, newest first.
 */
export async function viewAt<T>(engine: Engine, point: HistoryPoint): Promise<StoreView<T>> {
  const history = engine.history;
  const resolved = resolvePoint(point, "point");
  // A view shows durable state only: wait for the writes in flight up to the point.
  if (resolved.kind === "time" || resolved.seq > engine.durableSeq) {
    await engine.queue.flush().catch(() => undefined); // A failed write is reverted: not shown.
  }
  let seq = Math.min(toSeq(history, resolved), engine.durableSeq);
  if (resolved.kind === "time") history.checkTimeReach(seq, resolved.micros, engine.lastTs);
  else history.checkReach(seq);
  if (seq >= history.oldestSeq && seq < engine.lastSeq) {
    const op = history.get(seq);
    const next = history.get(seq + 1);
    if (op.batch !== undefined && next.batch === op.batch) seq = op.batch - 1;
  }
  const state: State = new Map(engine.state);
  const later = history.range(seq + 1, engine.lastSeq);
  history.checkReach(seq); // Again: a read-only store may have learnt of pruning meanwhile.
  for (let i = later.length - 1; i >= 0; i--) revertOperation(state, later[i]!);
  const ts = seq > 0 && seq >= history.oldestSeq ? history.get(seq).ts : undefined;
  assert(seq <= engine.durableSeq, "a view's seq is at most the durable seq");
  return new StoreView<T>(state, seq, ts);
}

