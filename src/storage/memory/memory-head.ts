import { valueText } from "../../model/value-text.js";
import type { Operation } from "../../types.js";
import { parseIsoMicros } from "../../util/time.js";

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
