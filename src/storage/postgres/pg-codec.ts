import { valueText } from "../../model/value-text.js";
import type { Operation } from "../../types.js";
import { assert } from "../../util/assert.js";
import { formatMicros, parseIsoMicros } from "../../util/time.js";
import type { OpsChunk, WriteGroup } from "../port.js";
import type { SharedCommit } from "../shared-port.js";

/** An operation as opslog_ops encodes it (pg-sql.ts). */
type OpRow = [
  seq: number, ts: number, op: "set" | "delete", id: string, data: unknown, prev: unknown,
  batch: number | null, meta: Record<string, unknown> | null, undo: number | null,
  redo: number | null, archive: string | null,
];

/**
 * The operations of opslog_ops's JSON text, fresh objects with fields in the order of types.ts
 * Operation (what the engine and the files write, so JSON text compares equal).
 */
export function decodeOps(text: string): Operation[] {
  return decodeOpRows(JSON.parse(text) as unknown[]);
}

/** Operations of already parsed opslog_ops rows (an outcome's or a fetch's JSON). */
export function decodeOpRows(parsed: unknown[]): Operation[] {
  const rows = parsed as OpRow[];
  const ops: Operation[] = new Array<Operation>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const [seq, ts, kind, id, data, prev, batch, meta, undo, redo, archive] = rows[i]!;
    const op = { seq, ts: formatMicros(ts), op: kind, id } as Operation;
    if (kind === "set") op.data = data;
    op.prev = prev ?? null;
    if (batch !== null) op.batch = batch;
    if (meta !== null) op.meta = meta;
    if (undo !== null) op.undo = undo;
    if (redo !== null) op.redo = redo;
    if (archive !== null) op.archive = archive;
    if (i > 0) assert(seq === rows[i - 1]![0] + 1, "operations read back are gapless");
    ops[i] = op;
  }
  return ops;
}

/** [afterSeq, version]: operations with seq > afterSeq (up to the next entry) are at version. */
export type SchemaHistory = [number, number][];

/** Splits `ops` into chunks of one schema version each (readOps). */
export function chunkBySchema(ops: Operation[], history: SchemaHistory): OpsChunk[] {
  assert(history.length > 0, "a store has a schema version");
  const chunks: OpsChunk[] = [];
  for (const op of ops) {
    let version = history[0]![1];
    for (const [after, v] of history) if (op.seq > after) version = v;
    const last = chunks[chunks.length - 1];
    if (last && last.schemaVersion === version) (last.ops as Operation[]).push(op);
    else chunks.push({ ops: [op], schemaVersion: version });
  }
  return chunks;
}

const baseKinds = { seen: "s", version: "v", absent: "a", chained: "c" } as const;

/** The parameters of opslog_commit (pg-sql.ts) for `request`, after the store id. */
export function commitParams(request: SharedCommit): unknown[] {
  const unitEnd: number[] = [];
  const overwrite: boolean[] = [];
  const columns = changeColumns();
  const kinds: string[] = [];
  const bases: (number | null)[] = [];
  for (const unit of request.units) {
    assert(unit.changes.length > 0, "a unit holds at least one change");
    for (const change of unit.changes) {
      columns.add(change.op, change.id, change.data, change.meta, change);
      const base = change.base;
      if ("seen" in base) {
        kinds.push(baseKinds.seen);
        bases.push(base.seen);
      } else if ("version" in base) {
        kinds.push(baseKinds.version);
        bases.push(base.version);
      } else {
        kinds.push("absent" in base ? baseKinds.absent : baseKinds.chained);
        bases.push(null);
      }
    }
    unitEnd.push(kinds.length);
    overwrite.push(unit.overwrite);
  }
  const { op, id, data, meta, undo, redo, archive } = columns;
  return [request.id, request.schemaVersion, request.after, unitEnd, overwrite, op, id, data,
    meta, undo, redo, archive, kinds, bases, previousIndexes(id)];
}

/** For each change, the 1-based index of the previous change of the same id, or null. */
function previousIndexes(ids: readonly string[]): (number | null)[] {
  const last = new Map<string, number>();
  const previous: (number | null)[] = new Array<number | null>(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const seen = last.get(ids[i]!);
    assert(seen === undefined || seen < i + 1, "a previous change comes before");
    previous[i] = seen ?? null;
    last.set(ids[i]!, i + 1);
  }
  return previous;
}

/** The parameters of opslog_append (pg-sql.ts) for `group`, after the store id. */
export function appendParams(group: WriteGroup): unknown[] {
  const columns = changeColumns();
  const seqs: number[] = [];
  const tss: number[] = [];
  const prevs: (string | null)[] = [];
  const batches: (number | null)[] = [];
  for (const op of group.ops) {
    const micros = parseIsoMicros(op.ts);
    assert(micros !== undefined, "operations carry ISO timestamps");
    if (seqs.length > 0) assert(op.seq === seqs[seqs.length - 1]! + 1, "a group is gapless");
    seqs.push(op.seq);
    tss.push(micros);
    columns.add(op.op, op.id, op.data, op.meta, op);
    prevs.push(op.prev === null || op.prev === undefined ? null : valueText(op.prev));
    batches.push(op.batch ?? null);
  }
  const { op, id, data, meta, undo, redo, archive } = columns;
  return [group.base, seqs, tss, op, id, data, prevs, batches, meta, undo, redo, archive];
}

function changeColumns() {
  const columns = {
    op: [] as string[],
    id: [] as string[],
    data: [] as (string | null)[],
    meta: [] as (string | null)[],
    undo: [] as (number | null)[],
    redo: [] as (number | null)[],
    archive: [] as (string | null)[],
    add(
      kind: "set" | "delete",
      id: string,
      data: unknown,
      meta: Record<string, unknown> | undefined,
      marks: { undo?: number; redo?: number; archive?: string },
    ): void {
      columns.op.push(kind);
      columns.id.push(JSON.stringify(id));
      columns.data.push(kind === "set" ? valueText(data) : null);
      columns.meta.push(meta === undefined ? null : JSON.stringify(meta));
      columns.undo.push(marks.undo ?? null);
      columns.redo.push(marks.redo ?? null);
      columns.archive.push(marks.archive === undefined ? null : JSON.stringify(marks.archive));
    },
  };
  return columns;
}
