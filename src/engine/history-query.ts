import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { Operation } from "../types.js";
import { formatMicros, parseIsoMicros, resolvePoint, type HistoryPoint, type ResolvedPoint } from "../util/time.js";
import type { History } from "./history.js";

/** Operation timestamps of the current format have this length and compare as text. */
const microsTsLength = 27;

/** Whether `op` happened after the instant `micros` (canonical text `text`). */
function isAfter(ts: string, micros: number, text: string): boolean {
  if (ts.length === microsTsLength) return ts > text;
  return (parseIsoMicros(ts) ?? 0) > micros;
}

/** The largest seq whose operation happened at or before `micros` (oldestSeq - 1 if none). */
export function seqAtTime(history: History, micros: number): number {
  const text = formatMicros(micros);
  let candidate = history.oldestSeq - 1;
  for (const segment of history.sealed()) {
    if (segment.lastTs !== undefined && isAfter(segment.firstTs ?? segment.lastTs, micros, text)) return candidate;
    if (segment.lastTs !== undefined && !isAfter(segment.lastTs, micros, text)) {
      candidate = Math.max(candidate, segment.lastSeq!);
      continue;
    }
    for (const op of history.range(segment.firstSeq, segment.lastSeq!)) {
      if (isAfter(op.ts, micros, text)) return candidate;
      candidate = op.seq;
    }
  }
  for (const op of history.recent) {
    if (op.seq <= candidate) continue;
    if (isAfter(op.ts, micros, text)) return candidate;
    candidate = op.seq;
  }
  return candidate;
}

export function toSeq(history: History, point: ResolvedPoint): number {
  return point.kind === "seq" ? point.seq : seqAtTime(history, point.micros);
}

/** getOps(since): operations strictly after `since` (an ISO time or a seq). */
export function opsSince(history: History, since: HistoryPoint | undefined): Operation[] {
  if (since === undefined || since === "") return history.range(history.oldestSeq, history.lastSeq);
  const seq = toSeq(history, resolvePoint(since, "since"));
  return history.range(seq + 1, history.lastSeq);
}

export function opsOf(history: History, id: string): Operation[] {
  return history.range(history.oldestSeq, history.lastSeq).filter((op) => op.id === id);
}

export interface OpsQuery {
  /** Exclusive: an ISO timestamp, a Date or a seq. */
  since?: HistoryPoint;
  /** Inclusive: an ISO timestamp, a Date or a seq. */
  until?: HistoryPoint;
  id?: string;
}

/**
 * Walks the retained history without loading it all: one segment at a time. `checkOpen` throws
 * once the store is closed: nothing reads the directory after close().
 */
export async function* iterateOps(
  history: History,
  query: OpsQuery,
  checkOpen: () => void,
): AsyncGenerator<Operation> {
  const from = query.since === undefined ? history.oldestSeq : toSeq(history, resolvePoint(query.since, "since")) + 1;
  const to = query.until === undefined ? history.lastSeq : toSeq(history, resolvePoint(query.until, "until"));
  let next = Math.max(from, history.oldestSeq);
  while (next <= Math.min(to, history.lastSeq)) {
    checkOpen();
    const segment = history.sealed().find((s) => s.firstSeq <= next && next <= s.lastSeq!);
    const end = Math.min(to, segment?.lastSeq ?? history.lastSeq);
    for (const op of history.range(next, end)) {
      if (query.id === undefined || op.id === query.id) yield op;
    }
    next = end + 1;
    await yieldToEventLoop();
  }
}
