import type { Engine } from "./engine/engine.js";
import { ClosedError } from "./errors.js";
import { indexDefinitions } from "./query/index-def.js";
import { IndexSet } from "./query/index-set.js";
import { Queries } from "./query/queries.js";
import type { Operation } from "./types.js";

/**
 * The store's queries: its declared indexes (built at open, kept current by the record table)
 * and find/count/iterate/explain over them. The facade asks it to check unique values before
 * a write and after an undo or redo has applied its changes.
 */
export class StoreQueries {
  private constructor(
    readonly indexes: IndexSet,
    readonly queries: Queries,
    private readonly hasUnique: boolean,
    private readonly state: { closed: boolean },
  ) {}

  /** Builds the declared indexes from the engine's records (OPSLOG_UNIQUE if the data breaks one). */
  static open(engine: Engine, declared: unknown): StoreQueries {
    const definitions = indexDefinitions(declared);
    const indexes = IndexSet.build(definitions, engine.table);
    const state = { closed: false };
    // An iterator reads each page through this: after close() it throws OPSLOG_CLOSED.
    const records = (): ReadonlyMap<string, unknown> => {
      if (state.closed) throw new ClosedError();
      return engine.records;
    };
    const queries = new Queries(records, indexes.list);
    return new StoreQueries(indexes, queries, definitions.some((d) => d.unique), state);
  }

  /** Throws OPSLOG_UNIQUE, before anything changes, if `value` would duplicate a unique value. */
  checkWrite(id: string, value: unknown): void {
    if (this.hasUnique) this.indexes.checkWrite(id, value);
  }

  /**
   * After undo/redo applied `ops` (not yet committed): takes them back and throws OPSLOG_UNIQUE
   * if they gave a unique value to a second record.
   */
  checkApplied(engine: Engine, ops: readonly Operation[]): void {
    if (!this.hasUnique) return;
    const violation = this.indexes.violation(
      ops.map((op) => op.id),
      engine.records,
    );
    if (violation === undefined) return;
    engine.discard(ops);
    throw violation;
  }

  close(): void {
    this.state.closed = true;
    this.indexes.close();
  }
}
