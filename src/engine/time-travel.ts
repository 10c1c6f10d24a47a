import { revertOperation, type State } from "../model/operation.js";
import { parseIsoMicros, resolvePoint, type HistoryPoint } from "../util/time.js";
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
  history.checkReach(seq, resolved.kind === "time");
  if (resolved.kind === "time") checkTimeReach(engine, resolved.micros);
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

/**
 * With every operation pruned, a time before the last operation's is a pruned state too (the
 * seq search alone would map it to the current state).
 */
function checkTimeReach(engine: Engine, micros: number): void {
  const history = engine.history;
  if (history.oldestSeq <= history.lastSeq || history.oldestSeq === 1) return;
  if (engine.lastTs === undefined || micros >= (parseIsoMicros(engine.lastTs) ?? 0)) return;
  history.checkReach(0); // Throws: the state at seq 0 was pruned.
}
