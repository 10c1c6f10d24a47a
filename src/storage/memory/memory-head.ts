import { valueText } from "../../model/value-text.js";
import type { Operation } from "../../types.js";
import { formatMicros, parseIsoMicros } from "../../util/time.js";
import { RawRecord } from "../../model/raw-record.js";
import type { StoredCheckpoint, StoredState } from "../port.js";

/** The state at the head of a shared volume, as a database's current-state table keeps it. */
export class HeadState {
  /** id → JSON text of the value (records with a value only). */
  readonly values = new Map<string, string>();
  /** id → seq of the last operation on it (deleted records too). */
  readonly versions = new Map<string, number>();
  lastMicros = 0;

  apply(op: Operation): void {
    this.versions.set(op.id, op.seq);
    if (op.op === "set") this.values.set(op.id, valueText(op.data));
    else this.values.delete(op.id);
    this.lastMicros = Math.max(this.lastMicros, parseIsoMicros(op.ts) ?? 0);
  }
}

/**
 * The state a shared volume opens at: its head, as a database's current-state table gives it
 * (checkpoint at the head, no operations after it, each record's version).
 */
export function headStoredState(head: HeadState, seq: number, stacks: string | undefined, schemaVersion: number): StoredState {
  const records = new Map<string, unknown>();
  for (const [id, text] of head.values) records.set(id, new RawRecord(text));
  const checkpoint: StoredCheckpoint = { seq, records };
  if (head.lastMicros > 0) checkpoint.ts = formatMicros(head.lastMicros);
  if (stacks !== undefined) checkpoint.stacks = JSON.parse(stacks) as StoredCheckpoint["stacks"];
  return { head: seq, checkpoint, ops: [], schemaVersion, needsCheckpoint: false, versions: new Map(head.versions) };
}
