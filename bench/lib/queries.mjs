// W6: the queries of issue 13 (W6a-W6g), and each store's idiomatic best way to run them.
// One query set, written once per store: opslog's indexed path (find/count with declared
// indexes), opslog's own scan (filter/count with predicates, JS sort and slice), and the peers,
// each with the indexes it has. Every implementation returns what it found, so that the
// worker can check that all stores agree (count, first and last id of the result).
import { performance } from "node:perf_hooks";
import { DUE_FROM, DUE_SPAN } from "./records.mjs";

/** W6d's range: 0.2 % of the due span, so about 0.2 % of the records. */
const RANGE_FROM = DUE_FROM + Math.floor(DUE_SPAN * 0.4);
const RANGE_TO = RANGE_FROM + Math.floor(DUE_SPAN * 0.002);
export const PAGE = 50;
export const PAGES = 20;

/** The queries as filter objects (MongoDB semantics), with their JS predicates for the scans. */
export const Q = {
  W6a: { what: "count: status = open and priority > 5 (≈ 11 %)", where: { status: "open", priority: { $gt: 5 } } },
  W6b: { what: "count: status = pending (≈ 25 %)", where: { status: "pending" } },
  W6c: {
    what: "find: status = open, priority ≥ 9, tags has alpha or beta (≈ 2.5 %)",
    where: { status: "open", priority: { $gte: 9 }, tags: { $in: ["alpha", "beta"] } },
  },
  W6d: { what: "find: due in a 0.2 % range (numeric)", where: { due: { $gte: RANGE_FROM, $lt: RANGE_TO } } },
  W6e: { what: "find: all records sorted by due, top 10", sort: { due: 1 }, limit: 10 },
  W6f: { what: "find: status = open, due descending, limit 50", where: { status: "open" }, sort: { due: -1 }, limit: PAGE },
  W6g: { what: `${PAGES} pages of 50 of W6f's query`, where: { status: "open" }, sort: { due: -1 }, limit: PAGE },
};
export const SUBS = ["W6a", "W6b", "W6c", "W6d", "W6e", "W6f", "W6g"];

const P = {
  W6a: (v) => v.status === "open" && v.priority > 5,
  W6b: (v) => v.status === "pending",
  W6c: (v) => v.status === "open" && v.priority >= 9 && (v.tags.includes("alpha") || v.tags.includes("beta")),
  W6d: (v) => v.due >= RANGE_FROM && v.due < RANGE_TO,
  W6f: (v) => v.status === "open",
};

/** The indexes opslog declares (4: W6h's "with indexes"); SQLite gets the same four. */
export const OPSLOG_INDEXES = {
  status: {},
  byStatusPriority: { on: ["status", "priority"] },
  due: {},
  byStatusDue: { on: ["status", "due"] },
};

/** Result summary the worker compares across stores: [count, first id/due, last id/due]. */
const sum = (n, first, last) => ({ n, first, last });
const byDueAsc = (a, b) => a[1].due - b[1].due || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
const byDueDesc = (a, b) => byDueAsc(b, a);
const dueOf = (items, k) => items[k]?.due;

/** Scan paths over [id, value] pairs: what opslog's filter() and the original give. */
function scanQueries(filterPairs, count) {
  const sorted = (pred, cmp) => filterPairs(pred).sort(cmp);
  return {
    W6a: () => sum(count(P.W6a)),
    W6b: () => sum(count(P.W6b)),
    W6c: () => { const r = filterPairs(P.W6c); return sum(r.length); },
    W6d: () => { const r = filterPairs(P.W6d); return sum(r.length); },
    W6e: () => { const r = sorted(() => true, byDueAsc).slice(0, 10); return sum(r.length, r[0][1].due, r.at(-1)[1].due); },
    W6f: () => { const r = sorted(P.W6f, byDueDesc).slice(0, PAGE); return sum(r.length, r[0][1].due, r.at(-1)[1].due); },
    // Offset paging over the scan: every page scans, sorts and slices again.
    W6g: () => {
      let n = 0;
      let last;
      for (let p = 0; p < PAGES; p++) {
        const page = sorted(P.W6f, byDueDesc).slice(p * PAGE, (p + 1) * PAGE);
        n += page.length;
        last = page.at(-1)?.[1].due;
      }
      return sum(n, undefined, last);
    },
  };
}

/** opslog's own scan: filter(predicate) with the id collected beside each value. */
export function opslogScan(store) {
  const filterPairs = (pred) => {
    const out = [];
    store.filter((v, id) => {
      if (pred(v)) out.push([id, v]);
      return false;
    });
    return out;
  };
  return scanQueries(filterPairs, (pred) => store.count(pred));
}

/** The original opslog: filter/count with predicates only (its filter passes values). */
export const origScan = opslogScan;

/** opslog with declared indexes: find()/count(where), keyset paging with after/next. */
export function opslogIndexed(store) {
  if (typeof store.find !== "function") {
    const missing = () => {
      throw new Error("this opslog build has no find(): the query API has not landed");
    };
    return Object.fromEntries(SUBS.map((w) => [w, missing]));
  }
  const find = (q, after) => store.find({ where: q.where, sort: q.sort, limit: q.limit, after });
  return {
    W6a: () => sum(store.count(Q.W6a.where)),
    W6b: () => sum(store.count(Q.W6b.where)),
    W6c: () => sum(find(Q.W6c).items.length),
    W6d: () => sum(find(Q.W6d).items.length),
    W6e: () => { const { items } = find(Q.W6e); return sum(items.length, dueOf(items, 0), dueOf(items, items.length - 1)); },
    W6f: () => { const { items } = find(Q.W6f); return sum(items.length, dueOf(items, 0), dueOf(items, items.length - 1)); },
    W6g: () => {
      let n = 0;
      let last;
      let after;
      for (let p = 0; p < PAGES; p++) {
        const r = find(Q.W6g, after);
        n += r.items.length;
        last = dueOf(r.items, r.items.length - 1);
        after = r.next;
        if (!after) break;
      }
      return sum(n, undefined, last);
    },
  };
}

/** explain() of each query: which index serves it, how many entries it examines. */
export function opslogExplain(store) {
  if (typeof store.explain !== "function") return {};
  const out = {};
  for (const k of SUBS) {
    const q = Q[k];
    try {
      const count = k === "W6a" || k === "W6b";
      const e = store.explain({ where: q.where ?? {}, sort: q.sort, limit: q.limit }, count ? "count" : "find");
      out[k] = { index: e.index ?? null, examined: e.examined, order: e.order, countedFromIndex: e.countedFromIndex, ranges: e.ranges };
    } catch (error) {
      out[k] = { error: String(error?.message ?? error).slice(0, 120) };
    }
  }
  return out;
}

/** LokiJS: binary indices on status, priority and due (single-field: what Loki has). */
export function lokiQueries(coll) {
  const t0 = performance.now();
  for (const f of ["status", "priority", "due"]) coll.ensureIndex(f, true);
  const setupMs = performance.now() - t0;
  const w6f = () => coll.chain().find({ status: "open" }).simplesort("due", { desc: true });
  return {
    setup: `binary indices on status, priority, due (ensureIndex, ${setupMs.toFixed(0)} ms)`,
    W6a: () => sum(coll.count({ status: "open", priority: { $gt: 5 } })),
    W6b: () => sum(coll.count({ status: "pending" })),
    W6c: () => sum(coll.chain().find({ status: "open", priority: { $gte: 9 }, tags: { $containsAny: ["alpha", "beta"] } }).data().length),
    // $between is inclusive; due is an integer, so [from, to - 1] is the half-open range.
    W6d: () => sum(coll.chain().find({ due: { $between: [RANGE_FROM, RANGE_TO - 1] } }).data().length),
    W6e: () => { const r = coll.chain().simplesort("due").limit(10).data(); return sum(r.length, dueOf(r, 0), dueOf(r, r.length - 1)); },
    W6f: () => { const r = w6f().limit(PAGE).data(); return sum(r.length, dueOf(r, 0), dueOf(r, r.length - 1)); },
    W6g: () => {
      let n = 0;
      let last;
      for (let p = 0; p < PAGES; p++) {
        const r = w6f().offset(p * PAGE).limit(PAGE).data();
        n += r.length;
        last = dueOf(r, r.length - 1);
      }
      return sum(n, undefined, last);
    },
  };
}

/** NeDB: ensureIndex on status, priority and due; find/sort/skip/limit, count. */
export async function nedbQueries(db) {
  const t0 = performance.now();
  for (const f of ["status", "priority", "due"]) await db.ensureIndexAsync({ fieldName: f });
  const setupMs = performance.now() - t0;
  const w6f = () => db.findAsync({ status: "open" }).sort({ due: -1 });
  return {
    setup: `ensureIndex on status, priority, due (${setupMs.toFixed(0)} ms); NeDB uses one index per query, the first usable`,
    W6a: async () => sum(await db.countAsync({ status: "open", priority: { $gt: 5 } })),
    W6b: async () => sum(await db.countAsync({ status: "pending" })),
    W6c: async () => sum((await db.findAsync({ status: "open", priority: { $gte: 9 }, tags: { $in: ["alpha", "beta"] } })).length),
    W6d: async () => sum((await db.findAsync({ due: { $gte: RANGE_FROM, $lt: RANGE_TO } })).length),
    W6e: async () => { const r = await db.findAsync({}).sort({ due: 1 }).limit(10); return sum(r.length, dueOf(r, 0), dueOf(r, r.length - 1)); },
    W6f: async () => { const r = await w6f().limit(PAGE); return sum(r.length, dueOf(r, 0), dueOf(r, r.length - 1)); },
    W6g: async () => {
      let n = 0;
      let last;
      for (let p = 0; p < PAGES; p++) {
        const r = await w6f().skip(p * PAGE).limit(PAGE);
        n += r.length;
        last = dueOf(r, r.length - 1);
      }
      return sum(n, undefined, last);
    },
  };
}

const J = (f) => `json_extract(doc, '$.${f}')`;

/**
 * SQLite: the table (id TEXT PRIMARY KEY, doc TEXT) with indexes on json_extract expressions,
 * the same four as opslog's; every query writes the same expressions, so the planner uses them
 * (the plans are reported). Rows come back parsed (JSON.parse), as a user would use them.
 */
export function sqliteQueries(db) {
  const t0 = performance.now();
  db.exec(`CREATE INDEX IF NOT EXISTS ix_status ON records (${J("status")});
    CREATE INDEX IF NOT EXISTS ix_status_priority ON records (${J("status")}, ${J("priority")});
    CREATE INDEX IF NOT EXISTS ix_due ON records (${J("due")});
    CREATE INDEX IF NOT EXISTS ix_status_due ON records (${J("status")}, ${J("due")});
    ANALYZE;`);
  const setupMs = performance.now() - t0;
  const sql = {
    W6a: `SELECT count(*) FROM records WHERE ${J("status")} = 'open' AND ${J("priority")} > 5`,
    W6b: `SELECT count(*) FROM records WHERE ${J("status")} = 'pending'`,
    W6c: `SELECT doc FROM records WHERE ${J("status")} = 'open' AND ${J("priority")} >= 9
      AND EXISTS (SELECT 1 FROM json_each(doc, '$.tags') WHERE value IN ('alpha', 'beta'))`,
    W6d: `SELECT doc FROM records WHERE ${J("due")} >= ${RANGE_FROM} AND ${J("due")} < ${RANGE_TO}`,
    W6e: `SELECT doc FROM records ORDER BY ${J("due")}, id LIMIT 10`,
    W6f: `SELECT doc FROM records WHERE ${J("status")} = 'open' ORDER BY ${J("due")} DESC, id DESC LIMIT ${PAGE}`,
    W6g: `SELECT doc FROM records WHERE ${J("status")} = 'open' ORDER BY ${J("due")} DESC, id DESC LIMIT ${PAGE} OFFSET ?`,
  };
  const st = Object.fromEntries(Object.entries(sql).map(([k, s]) => [k, db.prepare(s)]));
  const plans = Object.fromEntries(
    Object.entries(sql).map(([k, s]) => [k, db.prepare(`EXPLAIN QUERY PLAN ${s}`).all(...(k === "W6g" ? [0] : [])).map((r) => r.detail).join("; ")]),
  );
  const docs = (rows) => rows.map((d) => JSON.parse(d));
  return {
    setup: `4 expression indexes: (status), (status, priority), (due), (status, due) on json_extract(doc, '$.f'), ANALYZE (${setupMs.toFixed(0)} ms)`,
    plans,
    W6a: () => sum(st.W6a.pluck().get()),
    W6b: () => sum(st.W6b.pluck().get()),
    W6c: () => sum(docs(st.W6c.pluck().all()).length),
    W6d: () => sum(docs(st.W6d.pluck().all()).length),
    W6e: () => { const r = docs(st.W6e.pluck().all()); return sum(r.length, dueOf(r, 0), dueOf(r, r.length - 1)); },
    W6f: () => { const r = docs(st.W6f.pluck().all()); return sum(r.length, dueOf(r, 0), dueOf(r, r.length - 1)); },
    W6g: () => {
      let n = 0;
      let last;
      for (let p = 0; p < PAGES; p++) {
        const r = docs(st.W6g.pluck().all(p * PAGE));
        n += r.length;
        last = dueOf(r, r.length - 1);
      }
      return sum(n, undefined, last);
    },
  };
}

/** lowdb: plain JS over its data (the records object, taken as [id, value] pairs once). */
export function lowdbQueries(records) {
  const pairs = Object.entries(records);
  const filterPairs = (pred) => pairs.filter((e) => pred(e[1]));
  const count = (pred) => {
    let n = 0;
    for (const e of pairs) if (pred(e[1])) n++;
    return n;
  };
  return { setup: "Object.entries(db.data.records) once, then Array filter/sort/slice", ...scanQueries(filterPairs, count) };
}
