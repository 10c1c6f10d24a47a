import { recordAt } from "./model/raw-record.js";
import { Queries } from "./query/queries.js";
import type { Filter, FindQuery, FindResult } from "./query/types.js";
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

  /** Every id, in the order of entries(), without reading a record. */
  ids(): string[] {
    return Array.from(this.state.keys());
  }

  entries(): [string, T][] {
    return Array.from(this.state, ([id, value]) => [id, recordAt(this.state, id, value)]) as [string, T][];
  }

  filter(predicate: (value: T, id: string) => boolean): T[] {
    return filterRecords(this.state, predicate as Predicate) as T[];
  }

  /** The number of records; of those a predicate accepts; or of those a filter matches. */
  count(predicate?: ((value: T, id: string) => boolean) | Filter<T>): number {
    if (predicate === undefined) return this.state.size;
    if (typeof predicate !== "function") return this.queries.count(predicate);
    return countRecords(this.state, predicate as Predicate);
  }

  /** find() as on the store (docs/QUERIES.md), by a scan: a view has no indexes. */
  find(query: FindQuery<T> = {}): FindResult<T> {
    return this.queries.find(query) as FindResult<T>;
  }

  /** iterate() as on the store, by a scan. */
  iterate(query: Omit<FindQuery<T>, "limit"> = {}): IterableIterator<[string, T]> {
    return this.queries.iterate(query) as IterableIterator<[string, T]>;
  }

  private get queries(): Queries {
    return (this.scans ??= new Queries(() => this.state));
  }

  private scans: Queries | undefined;
}
