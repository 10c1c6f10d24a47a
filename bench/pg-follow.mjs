// Follower latency across processes on PostgreSQL (issue 12, "Figures"). A writer process does
// `--rate` sets per second (default 500) for `--seconds` (default 10) on a store in a throwaway
// PostgreSQL 15 server (scripts/pg-server.mjs, fsync on); this process opens the same store and
// consumes `store.watch()`. For every operation: the time from the writer's acknowledgement (its
// set() resolved: the commit is acknowledged) to this process's watch() yielding it, both read
// from performance.timeOrigin + performance.now() on the same machine (the writer passes its
// times through its stdout, keyed by record id). p50 / p99 / max.
//
// Follower modes (--modes, default both): `readonly` opens with { readOnly: true, follow: true };
// `writer` opens as a second writer (writers follow each other's commits).
// The peer row `raw`: the same rate of single-row INSERTs (autocommit) each followed by a
// NOTIFY after the commit, and a LISTEN in this process: the floor a follower woken by
// NOTIFY could reach (it still has to fetch the rows).
//
//   node bench/pg-follow.mjs [--rate 500] [--seconds 10] [--modes raw,readonly,writer] [--json]
//                            [--quick] [--url URL]
//   --quick: 3 s per mode. OPSLOG_BENCH_PG_MODULE / OPSLOG_BENCH_MODULE: another build.
import os from "node:os";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { startPgServer } from "../scripts/pg-server.mjs";
import { documentOf, fmt, loadOpslogPg, now, percentile, readyAndWait, report, sleep, startChild } from "./lib/pg-common.mjs";

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "500" },
    seconds: { type: "string" },
    modes: { type: "string", default: "raw,readonly,writer" },
    json: { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
    url: { type: "string" },
    writer: { type: "string" }, // Child only: raw | opslog.
    name: { type: "string" }, // Child only: the store or table.
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds ?? (values.quick ? 3 : 10));
const script = fileURLToPath(import.meta.url);
const log = (line) => (values.json ? process.stderr : process.stdout).write(`${line}\n`);

/** Paced writes: write(i) for i = 0 .. rate × seconds - 1, on schedule; the ack times. */
async function paced(write) {
  const start = now();
  const total = rate * seconds;
  const acks = [];
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rate - now();
    if (wait > 0) await sleep(wait);
    await write(i);
    acks.push(Number(now().toFixed(3)));
  }
  return { acks, achieved: (total * 1000) / (now() - start) };
}

/** The writer child: prepares, waits for "go", writes, reports every ack time. */
async function writerChild(kind, url, name) {
  if (kind === "raw") {
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`CREATE TABLE IF NOT EXISTS ${name} (id text PRIMARY KEY, doc json NOT NULL)`);
    await readyAndWait();
    const result = await paced(async (i) => {
      await client.query({ name: "ins", text: `INSERT INTO ${name} (id, doc) VALUES ($1, $2)`, values: [`f${i}`, JSON.stringify(documentOf(0, i))] });
      // After the commit, as the issue recommends: a wake-up, not part of the transaction.
      client.query(`NOTIFY ${name}, 'f${i}'`).catch(() => undefined);
    });
    await client.end();
    return report(result);
  }
  const lib = await loadOpslogPg();
  if (lib.error) return report({ unavailable: true, error: lib.error });
  const store = new lib.Store();
  await store.open(lib.postgres({ connectionString: url, store: name }));
  await readyAndWait();
  const result = await paced((i) => store.set(`f${i}`, documentOf(0, i)));
  await store.close();
  return report(result);
}

/** The follower side of one mode: `{ seen: Map(id → time seen), close() → seen }`. */
async function follow(mode, url, name) {
  const seen = new Map();
  if (mode === "raw") {
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    client.on("notification", (n) => seen.set(n.payload, now()));
    await client.query(`LISTEN ${name}`);
    const close = async () => {
      await client.end();
      return seen;
    };
    return { seen, close };
  }
  const lib = await loadOpslogPg();
  if (lib.error) throw Object.assign(new Error(lib.error), { unavailable: true });
  const store = new lib.Store();
  const options = mode === "readonly" ? { readOnly: true, follow: true } : {};
  await store.open(lib.postgres({ connectionString: url, store: name }), options);
  const controller = new AbortController();
  const feed = (async () => {
    for await (const op of store.watch({ since: store.stats().seq, signal: controller.signal })) seen.set(op.id, now());
  })();
  const close = async () => {
    controller.abort();
    await feed;
    await store.close();
    return seen;
  };
  return { seen, close };
}

async function measure(mode, url, run) {
  const name = `pgf_${mode}_${run}`;
  const child = startChild(script, ["--writer", mode === "raw" ? "raw" : "opslog", "--url", url, "--name", name, "--rate", String(rate), "--seconds", String(seconds)]);
  const early = await Promise.race([child.ready.then(() => undefined), child.result]);
  if (early) return { mode, ...early };
  let stop;
  try {
    stop = await follow(mode, url, name);
  } catch (err) {
    child.kill();
    return { mode, unavailable: err.unavailable === true, error: String(err?.message ?? err).split("\n")[0] };
  }
  child.go();
  const { acks, achieved } = await child.result;
  // Give the follower up to 5 s to catch up with the last acknowledged write, then stop it.
  const deadline = Date.now() + 5_000;
  while (stop.seen.size < acks.length && Date.now() < deadline) await sleep(20);
  const seen = await stop.close();
  const latencies = [];
  for (let i = 0; i < acks.length; i++) {
    const at = seen.get(`f${i}`);
    if (at !== undefined) latencies.push(at - acks[i]);
  }
  latencies.sort((a, b) => a - b);
  return {
    mode,
    writerSetsPerSec: Math.round(achieved),
    ops: acks.length,
    missed: acks.length - latencies.length,
    p50ms: percentile(latencies, 50),
    p99ms: percentile(latencies, 99),
    maxms: latencies.at(-1),
  };
}

function printTable(results) {
  const label = { raw: "raw pg: INSERT, NOTIFY after commit, LISTEN", readonly: "opslog, readOnly + follow", writer: "opslog, second writer" };
  log("");
  log("| follower | ops | not seen | p50 | p99 | max |");
  log("|---|---:|---:|---:|---:|---:|");
  for (const r of results) {
    if (r.error) log(`| ${label[r.mode] ?? r.mode} | ${r.unavailable ? "not available" : "failed"} (${r.error}) | | | | |`);
    else log(`| ${label[r.mode] ?? r.mode} | ${r.ops} | ${r.missed} | ${fmt(r.p50ms, 2)} ms | ${fmt(r.p99ms, 2)} ms | ${fmt(r.maxms, 2)} ms |`);
  }
}

if (values.writer) {
  await writerChild(values.writer, values.url, values.name);
  process.exit(0);
}
const server = values.url ? undefined : await startPgServer();
const url = values.url ?? server.url;
const run = Date.now().toString(36);
try {
  log(`node ${process.version}, ${os.cpus().length} cores; ${rate} sets/s for ${seconds} s per mode, writer in another process`);
  const results = [];
  for (const mode of values.modes.split(",")) {
    const r = await measure(mode, url, run);
    results.push(r);
    if (r.error) log(`${mode === "raw" ? "raw" : "opslog"} (${mode}): ${r.unavailable ? "not available" : "failed"} (${r.error})`);
    else log(`${mode}: p50 ${fmt(r.p50ms, 2)} ms, p99 ${fmt(r.p99ms, 2)} ms, max ${fmt(r.maxms, 2)} ms (${r.ops} ops, ${r.missed} not seen, writer ${r.writerSetsPerSec}/s)`);
  }
  if (values.json) process.stdout.write(`${JSON.stringify({ node: process.version, rate, seconds, results }, null, 2)}\n`);
  else printTable(results);
} finally {
  server?.stop();
}
