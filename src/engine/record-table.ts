import type { Operation } from "../types.js";
import { asStoredEntry, RawRecord, recordAt } from "../model/raw-record.js";
import { assert } from "../util/assert.js";
import { Overlay } from "./overlay.js";

/**
 * One change of one record, as the table reports it: `before` and `after` are stored values
 * (frozen, or model/raw-record text), undefined where the record did not exist.
 */
export type RecordChangeListener = (id: string, before: unknown, after: unknown) => void;

/**
 * The state, id → stored record, and its only writer. Every change of the state goes through
 * apply, revert or replace, and each reports (id, before, after) to the listeners, rollbacks
 * included, so that indexes and the change feed can follow every change. Readers get the map
 * read-only.
 */
export class RecordTable {
  private readonly listeners = new Set<RecordChangeListener>();
  /** Where warm() goes on: an iterator of the map (it stays valid while the map changes). */
  private warming: Iterator<[string, unknown]> | undefined;
  private replacedListener: (() => void) | undefined;
  /** Pending changes of a writer on a shared log, over the confirmed records (overlay.ts). */
  private readonly overlay: Overlay;

  /**
   * Every value the map holds is a RawRecord or deeply frozen (model/raw-record.ts
   * asStoredEntry), so that a read hands it out without checking: `map` is taken over and its
   * values made so once, here (frozen in place).
   */
  constructor(
    private readonly map: Map<string, unknown> = new Map(),
    checked = false,
  ) {
    // forEach, not for-of: an iterator result per record grew the young generation by about
    // 13 MB of RSS on a 200,000-record open (bench/analysis.md, issue 14).
    if (!checked) map.forEach((value) => asStoredEntry(value));
    this.overlay = new Overlay(map);
  }

  /** The records, read-only: iterate, get, has, size (with the staged changes, if any). */
  get records(): ReadonlyMap<string, unknown> {
    return this.overlay.isEmpty ? this.map : this.overlay;
  }

  /** Stages `op` over the confirmed records (shared logs: a pending write). */
  stage(op: Operation): void {
    assert(op.op === "delete" || op.data !== undefined, "a staged set carries a value");
    const before = this.listeners.size === 0 ? undefined : this.records.get(op.id);
    this.overlay.stage(op.id, op.op === "set" ? op.data : undefined);
    if (this.listeners.size > 0) this.report(op.id, before, this.overlay.get(op.id));
  }

  /** Takes every staged change out: the records are the confirmed ones again. */
  unstage(): void {
    if (this.overlay.isEmpty) return;
    const changes = this.listeners.size === 0 ? [] : this.overlay.changes();
    this.overlay.clear();
    for (const [id, staged] of changes) this.report(id, staged, this.map.get(id));
  }

  get size(): number {
    return this.map.size;
  }

  /** Calls `listener` for every later change; returns the function that stops it. */
  listen(listener: RecordChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  apply(op: Operation): void {
    assert(this.overlay.isEmpty, "confirmed operations are applied with nothing staged");
    if (op.op === "set") {
      assert(op.data !== undefined, "a set carries a value"); // null: only in old data (SPEC §2.3)
      this.put(op.id, op.data);
    } else {
      this.remove(op.id);
    }
  }

  /** Puts back what `op` replaced. */
  revert(op: Operation): void {
    assert(this.overlay.isEmpty, "operations are reverted with nothing staged");
    assert(op.prev !== undefined, "an operation carries its previous value");
    if (op.prev === null) this.remove(op.id);
    else this.put(op.id, op.prev);
  }

  /** Sets one record to a stored value (a migration at open), reporting the change. */
  put(id: string, given: unknown): void {
    assert(given !== undefined, "a stored record is a value");
    const value = asStoredEntry(given);
    if (this.listeners.size === 0) {
      this.map.set(id, value);
      return;
    }
    const before = this.map.get(id);
    this.map.set(id, value);
    this.report(id, before, value);
  }

  /**
   * Replaces every record with `next`'s (a follower starting over), in `next`'s order (the order
   * a fresh open gives, so entries() reads the same), then reports each change.
   */
  replace(next: ReadonlyMap<string, unknown>): void {
    assert(this.overlay.isEmpty, "a table is replaced with nothing staged (start over clears pending writes)");
    const before = new Map(this.map);
    this.map.clear();
    this.warming = undefined; // Warm-up starts again over the new records.
    for (const [id, value] of next) this.map.set(id, asStoredEntry(value));
    assert(this.map.size === next.size, "a replaced table holds exactly the new records");
    this.replacedListener?.();
    if (this.listeners.size === 0) return;
    for (const [id, value] of before) if (!next.has(id)) this.report(id, value, undefined);
    for (const [id, value] of next) if (before.get(id) !== value) this.report(id, before.get(id), value);
  }

  /**
   * Parses records still held as text (model/raw-record.ts), going on from where the last call
   * stopped, until `maxRecords` were visited or `maxChars` of text parsed, so that reads of them
   * cost a map lookup (engine/warm-up.ts). Returns false once every record was visited. A record
   * whose text does not parse stays text: its reader gets the error, not the warm-up. The state
   * does not change: nothing is reported.
   */
  warm(maxRecords: number, maxChars: number): boolean {
    assert(maxRecords > 0, "warm() visits at least one record");
    assert(maxChars > 0, "warm() parses at least one character");
    this.warming ??= this.map.entries();
    let chars = 0;
    for (let i = 0; i < maxRecords && chars < maxChars; i++) {
      const next = this.warming.next();
      if (next.done === true) return false;
      const [id, value] = next.value;
      if (!(value instanceof RawRecord)) continue;
      chars += value.json.length;
      try {
        recordAt(this.map, id, value);
      } catch {
        // Left as it is: a read of the record reports it (the same error, every time).
      }
    }
    return true;
  }

  /** Calls `listener` after every replace() (warm-up starts again over the new records). */
  onReplaced(listener: () => void): void {
    this.replacedListener = listener;
  }

  /** An independent table with the same records and no listeners (time travel). */
  copy(): RecordTable {
    return new RecordTable(new Map(this.map), true); // Its values are checked.
  }

  private remove(id: string): void {
    if (this.listeners.size === 0) {
      this.map.delete(id);
      return;
    }
    const before = this.map.get(id);
    if (!this.map.delete(id)) return;
    this.report(id, before, undefined);
  }

  private report(id: string, before: unknown, after: unknown): void {
    for (const listener of this.listeners) listener(id, before, after);
  }
}
