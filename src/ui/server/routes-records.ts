/** The Records view and a record's timeline: /api/info, /api/records, /api/records/:id(/history). */
import type { AnyStore, Operation } from "../../cli/engine.js";
import { assert } from "../../util/assert.js";
import { diffValues, type Diff } from "./diff.js";
import { storeCall } from "./http-errors.js";
import { filterOf, idSearch, pageOf } from "./params.js";
import { notFound, type ApiRequest, type Route, type UiContext } from "./router.js";

function info(ui: UiContext) {
  const stats = ui.store.stats();
  return {
    target: ui.shown,
    backend: ui.backend,
    readOnly: ui.readOnly,
    write: ui.write,
    records: stats.activeRecords,
    seq: stats.seq,
    indexes: ui.indexes,
    version: ui.version,
  };
}

function records(ui: UiContext, request: ApiRequest) {
  const { offset, limit } = pageOf(request.query);
  const where = filterOf(request.query);
  const id = idSearch(request.query);
  const ids = ui.idLists.ids({ where, id });
  const page = ids.slice(offset, offset + limit);
  const items = page.map((one) => ({ id: one, value: ui.store.get(one) }));
  assert(items.length <= limit, "a page holds at most limit items");
  return { total: ids.length, offset, items };
}

/**
 * The seq of the last operation on `id`: the store's version() where it keeps one (a shared
 * storage's writer), else the newest retained history entry; 0 when history of it was pruned.
 */
export function versionOf(ui: UiContext, id: string): number {
  // A read-only store on PostgreSQL is no shared writer: it has no version(); history tells.
  if (ui.backend === "postgres" && ui.write) return ui.store.version(id);
  const history = ui.store.getHistory(id);
  return history.length === 0 ? 0 : (history[history.length - 1] as Operation).seq;
}

function checkedId(store: AnyStore, id: string): void {
  // has() checks nothing; getHistory() checks the id as every store call does (400 when bad).
  storeCall("id", () => store.getHistory(id));
}

function record(ui: UiContext, request: ApiRequest) {
  const id = request.params.id as string;
  checkedId(ui.store, id);
  if (!ui.store.has(id)) throw notFound(`record ${JSON.stringify(id)} not found`);
  return { id, value: ui.store.get(id), version: versionOf(ui, id), exists: true };
}

function history(ui: UiContext, request: ApiRequest) {
  const id = request.params.id as string;
  const ops = storeCall("id", () => ui.store.getHistory(id));
  const withDiffs: (Operation & { diff: Diff[] })[] = ops.map((op) => ({
    ...op,
    diff: diffValues(op.prev, op.op === "set" ? op.data : null),
  }));
  return { id, ops: withDiffs };
}

export const recordRoutes: Route[] = [
  { method: "GET", path: "/api/info", handle: info },
  { method: "GET", path: "/api/records", handle: records },
  { method: "GET", path: "/api/records/:id", handle: record },
  { method: "GET", path: "/api/records/:id/history", handle: history },
];
