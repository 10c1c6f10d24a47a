/**
 * The one place the CLI touches the engine: everything it needs from the library comes through
 * here, so a change in the engine's surface is a change in this file only.
 */
import type { Store } from "../index.js";

export { Store, inspect, verify, OpslogError, LockedError } from "../index.js";
export type { Operation, StoreStats, RepairReport, LockHolder } from "../index.js";
export type { Filter, FindQuery, IndexDeclarations, QueryPlan } from "../index.js";
/** The most items one find() page may hold: the bound of `find --limit`. */
export { pageLimitMax } from "../query/queries.js";
export { parseIsoMicros } from "../util/time.js";
/** Server locations (`postgres://…?store=`): how to tell them, and how to show them. */
export { isPostgresUrl, redact } from "../storage/postgres/pg-options.js";
/** The store's own argument checks, so `import` rejects a bad line before writing anything. */
export { checkId, checkNotNullRecord, toStoredValue } from "../model/value.js";

/** The CLI works on stores of any record type. */
export type AnyStore = Store<unknown>;
