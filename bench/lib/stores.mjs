// One adapter per store configuration. Every adapter has the same shape:
//   open(dir)            open or create the store in `dir` (a directory the harness owns)
//   set(id, value)       one acknowledged write (a promise; awaited by the workloads)
//   bulk(entries)        one batch of [id, value] pairs, all or nothing where the store can
//   get(id)              point read (plain value; adapters with asyncGet return a promise)
//   filter(pred)         all values matching pred (a promise)
//   close()
// Optional: queries() gives W6's query paths ({ name: { W6a: () => ..., ... } }, lib/queries.mjs);
// open(dir, extra) merges extra into opslog's open options (W6's indexes).
// Optional: fill(entries) loads the rest of a bulk load after W3's time cap (untimed) in the
// fastest way the store allows, so that W4-W8 always see the full data set.
//
// Options are each store's defaults unless the row says otherwise; what a row changes is in
// its `mode`.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { lokiQueries, lowdbQueries, nedbQueries, opslogIndexed, opslogScan, opslogExplain, origScan, sqliteQueries } from "./queries.mjs";

const require = createRequire(import.meta.url);

/**
 * The opslog under test: the package built at the repository root (`npm run build` writes
 * dist/index.js), imported by path so that bench/ needs no link to the root package.
 * OPSLOG_BENCH_MODULE=path/to/index.js measures another build.
 */
export const OPSLOG_MODULE = path.resolve(
  process.env.OPSLOG_BENCH_MODULE ?? path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "dist", "index.js"),
);

/**
 * OPSLOG_BENCH_BASELINE=path/to/index.js adds the row `opslog-baseline`: another build (for
 * example the commit before a change) measured in the same run as the one under test.
 */
export const OPSLOG_BASELINE_MODULE = process.env.OPSLOG_BENCH_BASELINE
  ? path.resolve(process.env.OPSLOG_BENCH_BASELINE)
  : undefined;

async function loadOpslog(module = OPSLOG_MODULE) {
  if (process.env.OPSLOG_BENCH_STUB === "1") return { Store: StubStore, stub: true };
  const mod = await import(pathToFileURL(module).href);
  return { Store: mod.Store, stub: false };
}

/**
 * A stand-in with opslog's API, used only with OPSLOG_BENCH_STUB=1 (to develop the harness while
 * the engine does not build): a Map plus an append-only file synced on every write.
 */
class StubStore {
  map = new Map();
  async open(dir) {
    fs.mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, "stub.log");
    if (fs.existsSync(this.file)) {
      for (const line of fs.readFileSync(this.file, "utf8").split("\n")) {
        if (!line) continue;
        const [id, v] = JSON.parse(line);
        this.map.set(id, v);
      }
    }
    this.fd = fs.openSync(this.file, "a");
  }
  async set(id, v) {
    fs.writeSync(this.fd, JSON.stringify([id, v]) + "\n");
    fs.fdatasyncSync(this.fd);
    this.map.set(id, v);
  }
  async batch(fn) {
    this.pending = [];
    const realSet = this.set;
    this.set = (id, v) => this.pending.push([id, v]);
    try {
      fn();
    } finally {
      this.set = realSet;
    }
    fs.writeSync(this.fd, this.pending.map((e) => JSON.stringify(e)).join("\n") + "\n");
    fs.fdatasyncSync(this.fd);
    for (const [id, v] of this.pending) this.map.set(id, v);
  }
  get(id) {
    return this.map.get(id);
  }
  filter(pred) {
    const out = [];
    for (const [id, v] of this.map) if (pred(v, id)) out.push(v);
    return out;
  }
  async flush() {}
  async close() {
    fs.closeSync(this.fd);
  }
}

function opslogAdapter(options, module = OPSLOG_MODULE) {
  let store;
  let stub = false;
  return {
    async open(dir, extra = {}) {
      const m = await loadOpslog(module);
      stub = m.stub;
      store = new m.Store();
      await store.open(dir, { ...options, ...extra });
    },
    // With indexes declared (W6): the indexed path and our own scan; without, the scan only.
    queries: (indexed) => (indexed ? { index: opslogIndexed(store), scan: opslogScan(store) } : { scan: opslogScan(store) }),
    explain: () => opslogExplain(store),
    raw: () => store,
    set: (id, v) => store.set(id, v),
    bulk: (entries) =>
      store.batch(() => {
        for (const [id, v] of entries) store.set(id, v);
      }),
    get: (id) => store.get(id),
    filter: async (pred) => store.filter(pred),
    flush: () => store.flush(),
    close: () => store.close(),
    info: () => (stub ? "STUB" : undefined),
  };
}

function originalOpslogAdapter(options) {
  let store;
  let Store;
  return {
    async open(dir, openOptions = {}) {
      ({ Store } = await import("@backloghq/opslog"));
      store = new Store();
      await store.open(dir, { ...options, ...openOptions });
    },
    set: (id, v) => store.set(id, v),
    bulk: (entries) =>
      store.batch(() => {
        for (const [id, v] of entries) store.set(id, v);
      }),
    get: (id) => store.get(id),
    filter: async (pred) => store.filter(pred),
    queries: () => ({ scan: origScan(store) }),
    flush: () => store.flush(),
    close: () => store.close(),
    // The default checkpoint every 100 operations rewrites the whole snapshot; past W3's cap the
    // rest is loaded with checkpoints off, then one checkpoint at close (same files at the end).
    async fill(dir, entries) {
      await store.close();
      store = new Store();
      await store.open(dir, { ...options, checkpointThreshold: Number.MAX_SAFE_INTEGER });
      for (let i = 0; i < entries.length; i += 1000) {
        const chunk = entries.slice(i, i + 1000);
        await store.batch(() => {
          for (const [id, v] of chunk) store.set(id, v);
        });
      }
    },
  };
}

function nedbAdapter() {
  let db;
  return {
    async open(dir) {
      const Datastore = require("@seald-io/nedb");
      fs.mkdirSync(dir, { recursive: true });
      db = new Datastore({ filename: path.join(dir, "records.db") });
      await db.loadDatabaseAsync();
    },
    set: (id, v) => db.updateAsync({ _id: id }, { _id: id, ...v }, { upsert: true }),
    // Inserts in W3 (new ids) are one appended block per batch.
    bulk: (entries) => db.insertAsync(entries.map(([id, v]) => ({ _id: id, ...v }))),
    get: (id) => db.findOneAsync({ _id: id }),
    asyncGet: true,
    filter: (pred) => db.findAsync({ $where: function () { return pred(this); } }),
    queries: async () => ({ nedb: await nedbQueries(db) }),
    close: async () => {
      await db.compactDatafileAsync?.();
    },
  };
}

function lowdbAdapter() {
  let db;
  return {
    async open(dir) {
      const { JSONFilePreset } = await import("lowdb/node");
      fs.mkdirSync(dir, { recursive: true });
      db = await JSONFilePreset(path.join(dir, "db.json"), { records: {} });
    },
    set: (id, v) => {
      db.data.records[id] = v;
      return db.write();
    },
    bulk: (entries) => {
      for (const [id, v] of entries) db.data.records[id] = v;
      return db.write();
    },
    get: (id) => db.data.records[id],
    filter: async (pred) => Object.values(db.data.records).filter((v) => pred(v)),
    queries: () => ({ lowdb: lowdbQueries(db.data.records) }),
    close: async () => {},
    async fill(_dir, entries) {
      for (const [id, v] of entries) db.data.records[id] = v;
      await db.write();
    },
  };
}

function lokiAdapter() {
  let db;
  let coll;
  let dirty = false;
  const save = () =>
    new Promise((resolve, reject) => db.saveDatabase((err) => (err ? reject(err) : resolve())));
  return {
    async open(dir) {
      const Loki = require("lokijs");
      fs.mkdirSync(dir, { recursive: true });
      db = new Loki(path.join(dir, "loki.db"), { adapter: new Loki.LokiFsAdapter() });
      await new Promise((resolve, reject) => db.loadDatabase({}, (err) => (err ? reject(err) : resolve())));
      coll = db.getCollection("records") ?? db.addCollection("records", { unique: ["id"] });
    },
    // Loki keeps everything in memory; a write is acknowledged once saveDatabase has written
    // the database file (what a user needing persistence per write would do).
    set: (id, v) => {
      const doc = coll.by("id", id);
      if (doc) coll.update(Object.assign(doc, v));
      else coll.insert({ id, ...v });
      return save();
    },
    bulk: (entries) => {
      coll.insert(entries.map(([id, v]) => ({ id, ...v })));
      return save();
    },
    get: (id) => coll.by("id", id),
    filter: async (pred) => coll.where((v) => pred(v)),
    queries: () => ({ lokijs: lokiQueries(coll) }),
    close: async () => {
      if (dirty) await save();
      await new Promise((resolve) => db.close(resolve));
    },
    async fill(_dir, entries) {
      coll.insert(entries.map(([id, v]) => ({ id, ...v })));
      dirty = true;
    },
  };
}

function sqliteAdapter(synchronous) {
  let db;
  let put;
  let sel;
  let many;
  return {
    async open(dir) {
      const Database = require("better-sqlite3");
      fs.mkdirSync(dir, { recursive: true });
      db = new Database(path.join(dir, "db.sqlite"));
      db.pragma("journal_mode = WAL");
      db.pragma(`synchronous = ${synchronous}`);
      db.exec("CREATE TABLE IF NOT EXISTS records (id TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID");
      put = db.prepare("INSERT INTO records (id, doc) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc");
      sel = db.prepare("SELECT doc FROM records WHERE id = ?").pluck();
      many = db.transaction((entries) => {
        for (const [id, v] of entries) put.run(id, JSON.stringify(v));
      });
    },
    set: async (id, v) => {
      put.run(id, JSON.stringify(v));
    },
    bulk: async (entries) => many(entries),
    get: (id) => {
      const doc = sel.get(id);
      return doc === undefined ? undefined : JSON.parse(doc);
    },
    // The query in SQL, as a user would write it; rows come back as parsed objects.
    filter: async () =>
      db
        .prepare("SELECT doc FROM records WHERE json_extract(doc, '$.status') = 'open' AND json_extract(doc, '$.age') >= 55")
        .pluck()
        .all()
        .map((d) => JSON.parse(d)),
    queries: () => ({ sqlite: sqliteQueries(db) }),
    close: async () => db.close(),
  };
}

function lmdbAdapter() {
  let db;
  return {
    async open(dir) {
      const { open } = require("lmdb");
      fs.mkdirSync(dir, { recursive: true });
      db = open({ path: path.join(dir, "data.mdb") });
    },
    set: (id, v) => db.put(id, v),
    bulk: (entries) =>
      db.transaction(() => {
        for (const [id, v] of entries) db.put(id, v);
      }),
    get: (id) => db.get(id),
    filter: async (pred) => {
      const out = [];
      for (const { value } of db.getRange()) if (pred(value)) out.push(value);
      return out;
    },
    close: () => db.close(),
  };
}

function levelAdapter(sync) {
  let db;
  return {
    async open(dir) {
      const { ClassicLevel } = require("classic-level");
      db = new ClassicLevel(dir, { valueEncoding: "json" });
      await db.open();
    },
    set: (id, v) => db.put(id, v, { sync }),
    bulk: (entries) => db.batch(entries.map(([key, value]) => ({ type: "put", key, value })), { sync }),
    get: (id) => db.getSync(id),
    filter: async (pred) => {
      const out = [];
      for await (const value of db.values()) if (pred(value)) out.push(value);
      return out;
    },
    close: () => db.close(),
  };
}

/**
 * The configurations, in table order. `full` rows run every workload; the others differ from a
 * full row only in how writes are acknowledged, so they run the write workloads W1 and W2.
 */
export const STORES = [
  { id: "opslog", label: "opslog", mode: "immediate (default)", full: true, make: () => opslogAdapter({}) },
  {
    id: "opslog-baseline",
    label: `opslog baseline (${baselineName()})`,
    mode: "immediate (default)",
    full: true,
    make: () => {
      if (!OPSLOG_BASELINE_MODULE) throw new Error("opslog-baseline needs OPSLOG_BENCH_BASELINE=path/to/index.js");
      return opslogAdapter({}, OPSLOG_BASELINE_MODULE);
    },
  },
  { id: "opslog-group", label: "opslog", mode: "group", make: () => opslogAdapter({ writeMode: "group" }) },
  { id: "opslog-async", label: "opslog", mode: "async", make: () => opslogAdapter({ writeMode: "async" }) },
  { id: "orig", label: "@backloghq/opslog 0.8.1", mode: "immediate (default)", full: true, make: () => originalOpslogAdapter({}) },
  { id: "orig-group", label: "@backloghq/opslog 0.8.1", mode: "group", make: () => originalOpslogAdapter({ writeMode: "group" }) },
  { id: "orig-async", label: "@backloghq/opslog 0.8.1", mode: "async", make: () => originalOpslogAdapter({ writeMode: "async" }) },
  { id: "sqlite-full", label: "better-sqlite3", mode: "WAL, synchronous=FULL", full: true, make: () => sqliteAdapter("FULL") },
  { id: "sqlite-normal", label: "better-sqlite3", mode: "WAL, synchronous=NORMAL", make: () => sqliteAdapter("NORMAL") },
  { id: "lmdb", label: "lmdb", mode: "default", full: true, make: () => lmdbAdapter() },
  { id: "level", label: "classic-level", mode: "sync: false (default)", full: true, make: () => levelAdapter(false) },
  { id: "level-sync", label: "classic-level", mode: "sync: true", make: () => levelAdapter(true) },
  { id: "nedb", label: "@seald-io/nedb", mode: "default", full: true, make: () => nedbAdapter() },
  { id: "lowdb", label: "lowdb", mode: "JSONFile", full: true, make: () => lowdbAdapter() },
  { id: "lokijs", label: "lokijs", mode: "fs adapter, save per write", full: true, make: () => lokiAdapter() },
];

function baselineName() {
  if (!OPSLOG_BASELINE_MODULE) return "unset";
  const commit = path.join(path.dirname(OPSLOG_BASELINE_MODULE), "..", "COMMIT");
  return fs.existsSync(commit) ? fs.readFileSync(commit, "utf8").trim() : path.basename(path.dirname(path.dirname(OPSLOG_BASELINE_MODULE)));
}

export function storeById(id) {
  const s = STORES.find((x) => x.id === id);
  if (!s) throw new Error(`unknown store ${id}; known: ${STORES.map((x) => x.id).join(", ")}`);
  return s;
}

export function versionOf(pkg) {
  try {
    // Read the file: some packages' "exports" do not expose their package.json.
    const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "node_modules", pkg);
    return JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version;
  } catch {
    return "?";
  }
}
