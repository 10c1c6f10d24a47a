import { valueText } from "../../model/value-text.js";
import type { Operation } from "../../types.js";
import { assert } from "../../util/assert.js";
import { sealLine } from "./log-format.js";
import { applyDelta, deltaProblem, prevDelta, type PrevDelta } from "./prev-delta.js";

/**
 * An operation as it is stored in a log segment: the public Operation plus the fields recovery
 * needs. `g` is the seq of the first operation of the write group the line was appended with
 * (it tells a torn final write from damage earlier in the file); `n` is the number of operations
 * of the batch on every operation of a multi-operation batch.
 */
export interface LogRecord extends Operation {
  g: number;
  n?: number;
}

/** Field order on disk; JSON.stringify omits the undefined ones. */
export function toLogRecord(op: Operation, group: number, batchSize: number | undefined): object {
  const delta = op.op === "set" && op.prev !== null ? prevDelta(op.prev, op.data) : undefined;
  return {
    seq: op.seq,
    ts: op.ts,
    g: group,
    op: op.op,
    id: op.id,
    data: op.data,
    prev: delta ? undefined : op.prev,
    prevDelta: delta,
    batch: op.batch,
    n: batchSize,
    meta: op.meta,
    undo: op.undo,
    redo: op.redo,
    archive: op.archive,
  };
}

/**
 * The checksummed line of an operation: the bytes `encodeLine(toLogRecord(…))` gives, assembled
 * from the values' texts so that a value encoded before (the record an update replaces, which
 * the last snapshot or write already encoded) is not serialised again.
 */
export function encodeLogLine(op: Operation, group: number, batchSize: number | undefined): string {
  let head = `{"seq":${op.seq},"ts":${JSON.stringify(op.ts)},"g":${group},"op":${JSON.stringify(op.op)},"id":${JSON.stringify(op.id)}`;
  if (op.data !== undefined) head += `,"data":${valueText(op.data)}`;
  const delta = op.op === "set" && op.prev !== null ? prevDelta(op.prev, op.data) : undefined;
  if (delta) head += `,"prevDelta":${JSON.stringify(delta)}`;
  else head += `,"prev":${valueText(op.prev)}`;
  if (op.batch !== undefined) head += `,"batch":${op.batch}`;
  if (batchSize !== undefined) head += `,"n":${batchSize}`;
  if (op.meta !== undefined) head += `,"meta":${JSON.stringify(op.meta)}`;
  if (op.undo !== undefined) head += `,"undo":${op.undo}`;
  if (op.redo !== undefined) head += `,"redo":${op.redo}`;
  if (op.archive !== undefined) head += `,"archive":${JSON.stringify(op.archive)}`;
  return sealLine(head);
}

/** Returns why `value` is not a well-formed log record, or undefined when it is. */
export function logRecordProblem(value: Record<string, unknown>): string | undefined {
  if (!Number.isSafeInteger(value["seq"]) || (value["seq"] as number) < 1) return "bad seq";
  if (typeof value["ts"] !== "string") return "bad ts";
  if (!Number.isSafeInteger(value["g"])) return "bad group";
  if (value["op"] !== "set" && value["op"] !== "delete") return "bad op";
  if (typeof value["id"] !== "string" || value["id"] === "") return "bad id";
  if (value["op"] === "set" && !Object.hasOwn(value, "data")) return "set without data";
  const hasDelta = Object.hasOwn(value, "prevDelta");
  if (!Object.hasOwn(value, "prev") && !(value["op"] === "set" && hasDelta)) return "missing prev";
  if (hasDelta) {
    const problem = deltaProblem(value["data"], value["prevDelta"]);
    if (problem !== undefined) return problem;
  }
  const batch = value["batch"];
  if (batch !== undefined && (!Number.isSafeInteger(batch) || !Number.isSafeInteger(value["n"]))) {
    return "bad batch marker";
  }
  return undefined;
}

/** Drops the recovery-only fields, leaving the public Operation. */
export function toOperation(record: LogRecord): Operation {
  const { g: _g, n: _n, crc: _crc, prevDelta: delta, ...op } = record as LogRecord & {
    crc?: string;
    prevDelta?: PrevDelta;
  };
  if (delta) {
    const prev = applyDelta(op.data, delta);
    // A rebuilt prev is made of own fields only: none of them may be Object.prototype, which
    // the deep freeze of the value would otherwise reach.
    assert(Object.getPrototypeOf(prev) === Object.prototype, "a rebuilt prev is a plain object");
    assert(!Object.values(prev).includes(Object.prototype), "a rebuilt prev holds own fields only");
    return inLogOrder(op, prev);
  }
  if (op.data === undefined) delete op.data;
  return op;
}

/** `op` with `prev` where a line holding it whole has it (after `data`): the same JSON text. */
function inLogOrder(op: Operation, prev: unknown): Operation {
  const { seq, ts, op: kind, id, data, prev: _prev, ...rest } = op;
  const ordered = { seq, ts, op: kind, id } as Operation;
  if (data !== undefined) ordered.data = data;
  ordered.prev = prev;
  return Object.assign(ordered, rest);
}
