/**
 * Time travel and activity: /api/at (the store at a seq or time, and what changed since),
 * /api/range (the slider's ends), /api/activity (operations per bucket), /api/ops (the tail).
 */
import type { Operation } from "../../cli/engine.js";
import { parseIsoMicros } from "../../cli/engine.js";
import { assert } from "../../util/assert.js";
import { badRequest, storeCallAsync } from "./http-errors.js";
import { sortedIds } from "./id-lists.js";
import { idSearch, integer, isoTime, pageLimitMax, pageOf, single } from "./params.js";
import type { ApiRequest, Route, UiContext } from "./router.js";

/** Ids listed per kind of change; past it `truncated` is set. */
export const changedIdsMax = 1000;
/** At most this many buckets in one /api/activity answer. */
export const bucketsMax = 2000;
const activityWindowMs = 10 * 60 * 1000;
/** The latest point of time travel is kept: the slider asks for pages of the same point. */
const viewsKept = 4;

type View = Awaited<ReturnType<UiContext["store"]["at"]>>;

interface Changes {
  added: string[];
  removed: string[];
  changed: string[];
  truncated: boolean;
}

interface CachedView {
  view: View;
  ids: string[];
  changes: Changes;
}

const views = new WeakMap<UiContext, Map<string, Promise<CachedView>>>();

function pointOf(ui: UiContext, query: URLSearchParams): { key: string; point: number | string } {
  const seqText = single(query, "seq");
  const time = isoTime(query, "time");
  if ((seqText === undefined) === (time === undefined)) {
    throw badRequest("seq", "give exactly one of seq and time");
  }
  if (time !== undefined) return { key: `time:${time}`, point: time };
  const lastSeq = ui.store.stats().seq;
  const seq = integer(query, "seq", { min: 0, max: Number.MAX_SAFE_INTEGER }) as number;
  if (seq > lastSeq) throw badRequest("seq", `is after the last operation (${lastSeq}); got ${seq}`);
  return { key: `seq:${seq}`, point: seq };
}

/** The ids whose records differ between `view` and now: read from the operations since. */
async function changesSince(ui: UiContext, view: View): Promise<Changes> {
  const touched = new Set<string>();
  for await (const op of ui.store.ops({ since: view.seq })) touched.add(op.id);
  const changes: Changes = { added: [], removed: [], changed: [], truncated: false };
  const add = (list: string[], id: string) => {
    if (list.length < changedIdsMax) list.push(id);
    else changes.truncated = true;
  };
  for (const id of [...touched].sort()) {
    const before = view.has(id);
    const after = ui.store.has(id);
    if (!before && after) add(changes.added, id);
    else if (before && !after) add(changes.removed, id);
    else if (before && JSON.stringify(view.get(id)) !== JSON.stringify(ui.store.get(id))) add(changes.changed, id);
  }
  return changes;
}

async function cachedView(ui: UiContext, query: URLSearchParams): Promise<CachedView> {
  const { key, point } = pointOf(ui, query);
  // A time after the last operation shows the state now, which moves with the seq.
  const fullKey = `${key}@${ui.store.stats().seq}`;
  let cache = views.get(ui);
  if (cache === undefined) views.set(ui, (cache = new Map()));
  let entry = cache.get(fullKey);
  if (entry === undefined) {
    entry = (async () => {
      const view = await storeCallAsync(key.startsWith("seq") ? "seq" : "time", () => ui.store.at(point));
      return { view, ids: sortedIds(view), changes: await changesSince(ui, view) };
    })();
    cache.set(fullKey, entry);
    entry.catch(() => cache.delete(fullKey));
    if (cache.size > viewsKept) cache.delete(cache.keys().next().value as string);
  }
  return entry;
}

async function at(ui: UiContext, request: ApiRequest) {
  const { offset, limit } = pageOf(request.query);
  const part = idSearch(request.query);
  const { view, ids: all, changes } = await cachedView(ui, request.query);
  const ids = part === undefined ? all : all.filter((id) => id.includes(part));
  const items = ids.slice(offset, offset + limit).map((id) => ({ id, value: view.get(id) }));
  return { point: { seq: view.seq, ts: view.ts ?? null }, total: ids.length, offset, items, changes };
}

async function firstOp(ui: UiContext, since: number): Promise<Operation | undefined> {
  for await (const op of ui.store.ops({ since })) return op;
  return undefined;
}

async function range(ui: UiContext) {
  const stats = ui.store.stats();
  const firstSeq = stats.seq - stats.historyOps + 1;
  if (stats.historyOps === 0) return { firstSeq: null, lastSeq: stats.seq, firstTs: null, lastTs: null };
  const first = await firstOp(ui, firstSeq - 1);
  const last = await firstOp(ui, stats.seq - 1);
  return { firstSeq, lastSeq: stats.seq, firstTs: first?.ts ?? null, lastTs: last?.ts ?? null };
}

async function activity(ui: UiContext, request: ApiRequest) {
  const now = Date.now();
  const epochMax = 8.64e15;
  const to = integer(request.query, "to", { min: 0, max: epochMax, fallback: now }) as number;
  const from = integer(request.query, "from", { min: 0, max: epochMax, fallback: to - activityWindowMs }) as number;
  const bucketMs = integer(request.query, "bucketMs", { min: 1, max: epochMax, fallback: 1000 }) as number;
  if (from >= to) throw badRequest("from", `must be before to (${to}); got ${from}`);
  const count = Math.ceil((to - from) / bucketMs);
  if (count > bucketsMax) throw badRequest("bucketMs", `gives ${count} buckets; at most ${bucketsMax}`);
  const buckets: [number, number][] = [];
  for (let i = 0; i < count; i++) buckets.push([from + i * bucketMs, 0]);
  const since = new Date(from - 1).toISOString();
  const until = new Date(to).toISOString();
  for await (const op of ui.store.ops({ since, until })) {
    const ms = (parseIsoMicros(op.ts) ?? 0) / 1000;
    const index = Math.floor((ms - from) / bucketMs);
    const bucket = buckets[index];
    if (bucket !== undefined && ms < to) bucket[1]++;
  }
  assert(buckets.length === count, "one entry per bucket");
  return { bucketMs, buckets };
}

async function ops(ui: UiContext, request: ApiRequest) {
  const limit = integer(request.query, "limit", { min: 1, max: pageLimitMax, fallback: 100 }) as number;
  const since = integer(request.query, "since", { min: 0, max: Number.MAX_SAFE_INTEGER });
  const stats = ui.store.stats();
  const oldest = stats.seq - stats.historyOps;
  const start = since === undefined ? Math.max(oldest, stats.seq - limit) : Math.max(since, oldest);
  const found: Operation[] = [];
  if (start < stats.seq) {
    for await (const op of ui.store.ops({ since: start })) {
      found.push(op);
      if (found.length >= limit) break;
    }
  }
  return { ops: since === undefined ? found.reverse() : found };
}

export const historyRoutes: Route[] = [
  { method: "GET", path: "/api/at", handle: at },
  { method: "GET", path: "/api/range", handle: range },
  { method: "GET", path: "/api/activity", handle: activity },
  { method: "GET", path: "/api/ops", handle: ops },
];
