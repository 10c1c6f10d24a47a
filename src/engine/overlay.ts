import { assert } from "../util/assert.js";

/** A pending change of one record: its value, or none (deleted). */
interface Staged {
  value: unknown;
  /** The record has no value (a pending delete). */
  absent: boolean;
  /**
   * The record comes after the confirmed ones in iteration order: created by a pending set
   * (new, or again after a delete), as a map replaying those operations would place it.
   */
  appended: boolean;
}

/**
 * Pending changes over a confirmed map, read as one map (shared logs: engine/shared-queue.ts).
 * The confirmed map only ever takes global operations in seq order, so its order is the order
 * a fresh open gives; pending changes are staged here, never applied to it, so taking them out
 * (a conflict, a rebase) cannot move a record to the end. Iteration order is what applying the
 * staged changes to the confirmed map would give: kept records in place, created ones after.
 */
export class Overlay implements ReadonlyMap<string, unknown> {
  private readonly staged = new Map<string, Staged>();
  private sizeDelta = 0;

  constructor(private readonly confirmed: ReadonlyMap<string, unknown>) {}

  get isEmpty(): boolean {
    return this.staged.size === 0;
  }

  /** Stages a set (value) or a delete (undefined) of `id`. */
  stage(id: string, value: unknown): void {
    const before = this.staged.get(id);
    const inConfirmed = this.confirmed.has(id);
    const wasPresent = before ? !before.absent : inConfirmed;
    const present = value !== undefined;
    this.sizeDelta += Number(present) - Number(wasPresent);
    if (!present) {
      this.staged.delete(id);
      if (inConfirmed) this.staged.set(id, { value: undefined, absent: true, appended: false });
      return;
    }
    if (wasPresent && before) {
      before.value = value; // Set on a present record: it keeps its place.
      return;
    }
    this.staged.delete(id); // Re-created: it moves to the end.
    this.staged.set(id, { value, absent: false, appended: !wasPresent || !inConfirmed });
  }

  /** Takes every staged change out. */
  clear(): void {
    this.staged.clear();
    this.sizeDelta = 0;
  }

  /** The staged changes, in staging order: [id, value or undefined]. */
  changes(): [string, unknown][] {
    return Array.from(this.staged, ([id, s]) => [id, s.absent ? undefined : s.value]);
  }

  get size(): number {
    const size = this.confirmed.size + this.sizeDelta;
    assert(size >= 0, "an overlay never holds fewer than no records");
    return size;
  }

  get(id: string): unknown {
    const staged = this.staged.get(id);
    if (staged === undefined) return this.confirmed.get(id);
    return staged.absent ? undefined : staged.value;
  }

  has(id: string): boolean {
    const staged = this.staged.get(id);
    return staged === undefined ? this.confirmed.has(id) : !staged.absent;
  }

  *entries(): MapIterator<[string, unknown]> {
    for (const [id, value] of this.confirmed) {
      const staged = this.staged.get(id);
      if (staged === undefined) yield [id, value];
      else if (!staged.absent && !staged.appended) yield [id, staged.value];
    }
    for (const [id, staged] of this.staged) if (staged.appended) yield [id, staged.value];
  }

  [Symbol.iterator](): MapIterator<[string, unknown]> {
    return this.entries();
  }

  *keys(): MapIterator<string> {
    for (const [id] of this.entries()) yield id;
  }

  *values(): MapIterator<unknown> {
    for (const [, value] of this.entries()) yield value;
  }

  forEach(callback: (value: unknown, key: string, map: ReadonlyMap<string, unknown>) => void, thisArg?: unknown): void {
    for (const [id, value] of this.entries()) callback.call(thisArg, value, id, this);
  }
}
