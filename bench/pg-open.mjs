// Opening a 200,000-record store on PostgreSQL against the file store (issue 12, "Figures").
// Loads `--records` ~200-byte records (batches of 1,000, timed: "load"), closes, then opens the
// store `--opens` times (default 3), each in a fresh process, and reports the median time from
// calling open() to its promise resolving (the records all in memory, counted after it).
// Stores: `file` (open(dir), the default file store), `pg` (opslog on postgres({...})) and the
// peer `raw` (a table (id text primary key, doc json), one multi-row INSERT per 1,000 records;
// its "open" is SELECT id, doc of every row, parsed into a Map: what any client must pay).
// One throwaway PostgreSQL 15 server (scripts/pg-server.mjs, fsync on) for the run.
//
//   node bench/pg-open.mjs [--records 200000] [--opens 3] [--stores file,pg,raw] [--quick]
//                          [--json] [--url URL]
//   --quick: 20,000 records. OPSLOG_BENCH_MODULE / OPSLOG_BENCH_PG_MODULE: another build.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startPgServer } from "../scripts/pg-server.mjs";
import { OPSLOG_MODULE, documentOf, fmt, loadOpslogPg, median, now, readyAndWait, report, startChild } from "./lib/pg-common.mjs";

const { values } = parseArgs({
  options: {
    records: { type: "string" },
    opens: { type: "string", default: "3" },
    stores: { type: "string", default: "file,pg,raw" },
    quick: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    url: { type: "string" },
    child: { type: "string" }, // Child only: file | pg | raw.
    target: { type: "string" }, // Child only: the directory, store or table.
  },
});
const records = Number(values.records ?? (values.quick ? 20_000 : 200_000));
const script = fileURLToPath(import.meta.url);
const BATCH = 1_000;
const log = (line) => (values.json ? process.stderr : process.stdout).write(`${line}\n`);

/** opslog's modules: `{ Store, postgres }` (postgres only for kind pg). */
async function opslogLib(kind) {
  if (kind === "file") return import(pathToFileURL(OPSLOG_MODULE).href);
  const lib = await loadOpslogPg();
  if (lib.error) throw Object.assign(new Error(lib.error), { unavailable: true });
  return lib;
}

/** An opslog Store on `target`: a directory (file) or a PostgreSQL store name (pg). */
async function openOpslog(lib, kind, target, url) {
  const store = new lib.Store();
  await store.open(kind === "file" ? target : lib.postgres({ connectionString: url, store: target }));
  return store;
}

/** Writes the records in batches of BATCH; returns the milliseconds it took. */
async function load(kind, target, url) {
  const start = now();
  if (kind === "raw") {
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`CREATE TABLE ${target} (id text PRIMARY KEY, doc json NOT NULL)`);
    for (let from = 0; from < records; from += BATCH) {
      const n = Math.min(BATCH, records - from);
      const params = Array.from({ length: n }, (_, k) => `($${2 * k + 1}, $${2 * k + 2})`).join(",");
      const args = [];
      for (let i = from; i < from + n; i++) args.push(`r${i}`, JSON.stringify(documentOf(0, i)));
      await client.query(`INSERT INTO ${target} (id, doc) VALUES ${params}`, args);
    }
    await client.end();
    return now() - start;
  }
  const store = await openOpslog(await opslogLib(kind), kind, target, url);
  for (let from = 0; from < records; from += BATCH) {
    await store.batch(() => {
      for (let i = from; i < Math.min(records, from + BATCH); i++) store.set(`r${i}`, documentOf(0, i));
    });
  }
  const ms = now() - start;
  await store.close();
  return ms;
}

/** The child: one open, timed; reports { ms, count }. */
async function openChild(kind, target, url) {
  // Modules are imported before the clock starts: the open is timed, not node's module loading.
  const pg = kind === "raw" ? (await import("pg")).default : undefined;
  const lib = kind === "raw" ? undefined : await opslogLib(kind);
  await readyAndWait();
  if (kind === "raw") {
    const start = now();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    // pg parses json columns with JSON.parse; a Map of them is the in-memory state.
    const { rows } = await client.query(`SELECT id, doc FROM ${target}`);
    const state = new Map(rows.map((r) => [r.id, r.doc]));
    const ms = now() - start;
    await client.end();
    return report({ ms, count: state.size });
  }
  const start = now();
  const store = await openOpslog(lib, kind, target, url);
  const ms = now() - start;
  const count = store.count();
  await store.close();
  report({ ms, count });
}

async function measure(kind, url, run, dirRoot) {
  const target = kind === "file" ? path.join(dirRoot, "file-store") : `pgo_${kind}_${run}`;
  let loadMs;
  try {
    loadMs = await load(kind, target, url);
  } catch (err) {
    return { kind, unavailable: err.unavailable === true, error: String(err?.message ?? err).split("\n")[0] };
  }
  const opens = [];
  for (let k = 0; k < Number(values.opens); k++) {
    const child = startChild(script, ["--child", kind, "--target", target, "--url", url]);
    await child.ready;
    child.go();
    const r = await child.result;
    if (r.count !== records) return { kind, error: `opened ${r.count} records, expected ${records}` };
    opens.push(r.ms);
  }
  return { kind, records, loadMs, loadPerSec: (records * 1000) / loadMs, openMs: median(opens), opens };
}

function printTable(results) {
  const label = { file: "opslog, file store (open(dir))", pg: "opslog on PostgreSQL", raw: "raw pg: SELECT every row into a Map" };
  log("");
  log(`| store (${fmt(records)} records of ~200 B) | open, median of ${values.opens} (ms) | opens (ms) | load (ms) | load (records/s) |`);
  log("|---|---:|---:|---:|---:|");
  for (const r of results) {
    if (r.error) log(`| ${label[r.kind]} | ${r.unavailable ? "not available" : "failed"} (${r.error}) | | | |`);
    else log(`| ${label[r.kind]} | ${fmt(r.openMs)} | ${r.opens.map((x) => fmt(x)).join(", ")} | ${fmt(r.loadMs)} | ${fmt(r.loadPerSec)} |`);
  }
  const file = results.find((r) => r.kind === "file" && !r.error);
  const pg = results.find((r) => r.kind === "pg" && !r.error);
  if (file && pg) log(`\nopen on PostgreSQL / file store: ${(pg.openMs / file.openMs).toFixed(2)}×`);
}

if (values.child) {
  await openChild(values.child, values.target, values.url);
  process.exit(0);
}
const kinds = values.stores.split(",");
const needsServer = kinds.some((k) => k !== "file");
const server = values.url || !needsServer ? undefined : await startPgServer();
const url = values.url ?? server?.url ?? "";
const dirRoot = fs.mkdtempSync(path.join(os.tmpdir(), "opslog-pg-open-"));
const run = Date.now().toString(36);
try {
  log(`node ${process.version}, ${os.cpus().length} cores; ${fmt(records)} records, ${values.opens} opens each in a fresh process`);
  const results = [];
  for (const kind of kinds) {
    const r = await measure(kind, url, run, dirRoot);
    results.push(r);
    if (r.error) log(`${kind === "pg" ? "opslog" : kind}: ${r.unavailable ? "not available" : "failed"} (${r.error})`);
    else log(`${kind}: open ${fmt(r.openMs)} ms (median of ${r.opens.map((x) => fmt(x)).join(", ")}), load ${fmt(r.loadMs)} ms`);
  }
  if (values.json) process.stdout.write(`${JSON.stringify({ node: process.version, records, results }, null, 2)}\n`);
  else printTable(results);
} finally {
  server?.stop();
  fs.rmSync(dirRoot, { recursive: true, force: true });
}
