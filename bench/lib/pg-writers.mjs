// The three writers of bench/pg-writes.mjs, one per kind, each on its own tables/streams/store
// for the cell `cell` (so every cell starts from the same, nearly empty state):
//   raw     one INSERT per write, autocommit, on a pg.Pool of `pool` connections: the
//           ceiling (table pgw_<cell>(id text primary key, doc json))
//   emmett  @event-driven-io/emmett-postgresql appendToStream, one event per append; lane j
//           of process p appends to stream <cell>-p<p>-s<j> (one stream per lane: two in-flight
//           appends to one stream without an expected version conflict in Emmett), on a
//           pg.Pool of `pool` connections
//   opslog  store.set(id, doc) on postgres({ connectionString, store: <cell> }), new ids
//           p<p>-<i>; `inflight` un-awaited sets at a time
// `pool` defaults to `inflight` (one connection per write in flight). Each maker returns
// { write(i, lane) => Promise, close() }.
import { documentOf, loadOpslogPg } from "./pg-common.mjs";

const safe = (cell) => cell.replace(/[^a-z0-9_]/gi, "_").toLowerCase();

async function rawWriter({ url, cell, proc, pool: size }) {
  const { default: pg } = await import("pg");
  const pool = new pg.Pool({ connectionString: url, max: size });
  const table = `pgw_${safe(cell)}`;
  await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (id text PRIMARY KEY, doc json NOT NULL)`);
  // Open every connection now, not during the measurement.
  const clients = await Promise.all(Array.from({ length: size }, () => pool.connect()));
  for (const c of clients) c.release();
  const text = `INSERT INTO ${table} (id, doc) VALUES ($1, $2)`;
  return {
    write: (i) => pool.query({ name: "ins", text, values: [`p${proc}-${i}`, JSON.stringify(documentOf(proc, i))] }),
    close: () => pool.end(),
  };
}

async function emmettWriter({ url, cell, proc, pool: size }) {
  const { default: pg } = await import("pg");
  const { getPostgreSQLEventStore } = await import("@event-driven-io/emmett-postgresql");
  const pool = new pg.Pool({ connectionString: url, max: size });
  const store = getPostgreSQLEventStore(url, { connectionOptions: { pool } });
  await store.schema.migrate();
  const clients = await Promise.all(Array.from({ length: size }, () => pool.connect()));
  for (const c of clients) c.release();
  const prefix = `${safe(cell)}-p${proc}-s`;
  return {
    write: (i, lane) => store.appendToStream(`${prefix}${lane}`, [{ type: "DocumentSet", data: { id: `p${proc}-${i}`, doc: documentOf(proc, i) } }]),
    close: async () => {
      await store.close();
      await pool.end().catch(() => undefined);
    },
  };
}

async function opslogWriter({ url, cell, proc }) {
  const lib = await loadOpslogPg();
  if (lib.error) throw Object.assign(new Error(lib.error), { unavailable: true });
  const store = new lib.Store();
  await store.open(lib.postgres({ connectionString: url, store: safe(cell) }));
  return {
    write: (i) => store.set(`p${proc}-${i}`, documentOf(proc, i)),
    close: () => store.close(),
  };
}

export const WRITERS = { raw: rawWriter, emmett: emmettWriter, opslog: opslogWriter };
