import { recordAt } from "./model/raw-record.js";
import { allRecords, countRecords, filterRecords } from "./model/record-scan.js";

type Predicate = (value: unknown, id: string) => boolean;

/**
 * A read-only picture of a store's state at one point of its history (`store.at(point)`).
 * Records are frozen (lazily, when handed out); the view does not change when the store does.
 */
export class StoreView<T> {
  constructor(
    private readonly state: ReadonlyMap<string, unknown>,
    /** The seq of the last operation the view includes (0 for the empty store before any). */
    readonly seq: number,
    /** The timestamp of that operation (undefined for seq 0 or a pruned point). */
    readonly ts: string | undefined,
  ) {}

  get(id: string): T | undefined {
    return recordAt(this.state, id) as T | undefined;
  }

  has(id: string): boolean {
    return this.state.has(id);
  }

  all(): T[] {
    return allRecords(this.state) as T[];
  }

  entries(): [string, T][] {
    return Array.from(this.state, ([id, value]) => [id, recordAt(this.state, id, value)]) as [string, T][];
  }

  filter(predicate: (value: T, id: string) => boolean): T[] {
    return filterRecords(this.state, predicate as Predicate) as T[];
  }

  count(predicate?: (value: T, id: string) => boolean): number {
    if (!predicate) return this.state.size;
    return countRecords(this.state, predicate as Predicate);
  }
}
