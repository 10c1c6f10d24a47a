// Writes/s on PostgreSQL (issue 12, "Figures"): opslog beside a raw `pg` INSERT loop (the
// ceiling) and @event-driven-io/emmett-postgresql's appendToStream (what users would pick
// instead), ~200-byte JSON documents, three rows:
//   seq    1 process, sequential (each write awaited before the next)
//   64     1 process, 64 writes in flight
//   4x64   4 processes x 64 in flight, all on one server and one store / event store / table
// One throwaway PostgreSQL 15 server (scripts/pg-server.mjs, fsync on) for the whole run; every
// cell runs in child processes (Emmett changes pg's type parsers globally), after a warm-up,
// for a fixed time; with --rounds N the cells alternate N times and the median is reported.
//
//   node bench/pg-writes.mjs [--quick] [--json] [--rounds 3] [--seconds 5] [--warmup 1000]
//                            [--kinds raw,emmett,opslog] [--rows seq,64,4x64] [--url URL]
//                            [--pool 64]
//   --pool N: raw and Emmett use N connections per process (default: one per write in flight,
//   64; the lanes queue on the pool); opslog's storage chooses its own.
//   --quick: 1 s per cell, 300 ms warm-up, 1 round. --json: one JSON object on stdout instead
//   of the table. --url: an existing server instead of a throwaway one.
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import { pgBinDir, startPgServer } from "../scripts/pg-server.mjs";
import { fmt, median, startChild, syncProbe } from "./lib/pg-common.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, "lib", "pg-write-child.mjs");

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    rounds: { type: "string" },
    seconds: { type: "string" },
    warmup: { type: "string" },
    kinds: { type: "string", default: "raw,emmett,opslog" },
    rows: { type: "string", default: "seq,64,4x64" },
    url: { type: "string" },
    pool: { type: "string" },
  },
});
const seconds = Number(values.seconds ?? (values.quick ? 1 : 5));
const warmup = Number(values.warmup ?? (values.quick ? 300 : 1000));
const rounds = Number(values.rounds ?? (values.quick ? 1 : 3));
const ROWS = {
  seq: { label: "1 process, sequential", procs: 1, inflight: 1 },
  64: { label: "1 process, 64 in flight", procs: 1, inflight: 64 },
  "4x64": { label: "4 processes × 64 in flight", procs: 4, inflight: 64 },
};
const rows = values.rows.split(",");
const kinds = values.kinds.split(",");
// Names this run's tables, streams and stores apart from earlier runs on the same --url server.
const RUN = Date.now().toString(36);
const log = (line) => (values.json ? process.stderr : process.stdout).write(`${line}\n`);

/**
 * One cell: `procs` children prepared one after the other (so schema creation never races),
 * started together; the sum of their rates. `{ unavailable | error }` when a child could not
 * prepare.
 */
async function runCell(url, kind, rowId, round) {
  const row = ROWS[rowId];
  const cell = `${kind}_${rowId}_r${round}_${RUN}`.replace(/[^a-z0-9_]/gi, "_");
  const children = [];
  try {
    for (let p = 0; p < row.procs; p++) {
      const pool = Math.min(row.inflight, Number(values.pool ?? row.inflight));
      const args = ["--pool", String(pool), "--kind", kind, "--url", url, "--cell", cell, "--proc", String(p), "--inflight", String(row.inflight), "--warmup", String(warmup), "--seconds", String(seconds)];
      const child = startChild(CHILD, args);
      children.push(child);
      const early = await Promise.race([child.ready.then(() => undefined), child.result]);
      if (early) return early; // It reported without getting ready: could not prepare.
    }
    for (const child of children) child.go();
    const results = await Promise.all(children.map((c) => c.result));
    return {
      perSec: results.reduce((sum, r) => sum + r.perSec, 0),
      p50ms: median(results.map((r) => r.p50ms)),
      p99ms: Math.max(...results.map((r) => r.p99ms)),
      errors: results.reduce((sum, r) => sum + r.errors, 0),
      firstError: results.find((r) => r.firstError)?.firstError,
    };
  } catch (err) {
    for (const child of children) child.kill();
    return { error: String(err?.message ?? err) };
  }
}

function cellText(cell) {
  if (!cell) return "–";
  if (cell.unavailable) return "not available";
  if (cell.error) return `failed (${cell.error})`;
  const errors = cell.errors ? ` (${cell.errors} errors: ${cell.firstError})` : "";
  return `${fmt(cell.perSec)}/s${errors}`;
}

function ratio(a, b) {
  if (!a || !b || !Number.isFinite(a.perSec) || !Number.isFinite(b.perSec) || b.perSec === 0) return "–";
  return `${(a.perSec / b.perSec).toFixed(2)}×`;
}

/** Median over the rounds of each (row, kind); a kind unavailable in any round is unavailable. */
function summarise(all) {
  const out = {};
  for (const rowId of rows) {
    out[rowId] = {};
    for (const kind of kinds) {
      const cells = all.map((round) => round[rowId][kind]);
      const bad = cells.find((c) => c.unavailable || c.error);
      if (bad) {
        out[rowId][kind] = bad;
        continue;
      }
      out[rowId][kind] = {
        perSec: median(cells.map((c) => c.perSec)),
        p50ms: median(cells.map((c) => c.p50ms)),
        p99ms: median(cells.map((c) => c.p99ms)),
        errors: cells.reduce((sum, c) => sum + c.errors, 0),
        firstError: cells.find((c) => c.firstError)?.firstError,
        rounds: cells.map((c) => Math.round(c.perSec)),
      };
    }
  }
  return out;
}

function printTable(summary) {
  log("");
  log(`| row | raw pg INSERT (ceiling) | Emmett appendToStream | opslog set | opslog / Emmett | opslog / raw |`);
  log(`|---|---:|---:|---:|---:|---:|`);
  for (const rowId of rows) {
    const r = summary[rowId];
    log(`| ${ROWS[rowId].label} | ${cellText(r.raw)} | ${cellText(r.emmett)} | ${cellText(r.opslog)} | ${ratio(r.opslog, r.emmett)} | ${ratio(r.opslog, r.raw)} |`);
  }
  log("");
  log("Latency per write, p50 / p99 (ms), median over rounds:");
  for (const rowId of rows) {
    const parts = kinds.map((k) => {
      const c = summary[rowId][k];
      return c?.perSec === undefined ? `${k} –` : `${k} ${fmt(c.p50ms, 2)} / ${fmt(c.p99ms, 2)}`;
    });
    log(`  ${ROWS[rowId].label}: ${parts.join("; ")}`);
  }
  for (const kind of kinds) {
    const c = summary[rows[0]]?.[kind];
    if (c?.unavailable) log(`${kind}: not available (${c.error})`);
  }
}

const server = values.url ? undefined : await startPgServer({ maxConnections: 300 });
const serverVersion = values.url ? "the server at --url" : execFileSync(path.join(pgBinDir(), "postgres"), ["--version"], { encoding: "utf8" }).trim();
const url = values.url ?? server.url;
const started = Date.now();
try {
  log(`node ${process.version}, ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? "?"}; ${serverVersion}${values.url ? ` at ${url}` : ", a throwaway server (fsync on)"}`);
  log(`${rounds} round(s) × ${rows.length} rows × ${kinds.length} kinds, ${seconds} s per cell after ${warmup} ms warm-up`);
  const all = [];
  const probes = [];
  for (let round = 0; round < rounds; round++) {
    probes.push(Math.round(syncProbe()));
    log(`  round ${round + 1}: fdatasync probe ${fmt(probes.at(-1))}/s`);
    const byRow = {};
    for (const rowId of rows) {
      byRow[rowId] = {};
      // Alternate the order of the kinds between rounds: side by side, no kind always first.
      const order = round % 2 ? [...kinds].reverse() : kinds;
      for (const kind of order) {
        const cell = await runCell(url, kind, rowId, round);
        byRow[rowId][kind] = cell;
        const why = cell.unavailable ? ` (${cell.error})` : "";
        log(`  round ${round + 1}, ${ROWS[rowId].label}, ${kind}: ${cellText(cell)}${why}`);
      }
    }
    all.push(byRow);
  }
  const summary = summarise(all);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ node: process.version, cores: os.cpus().length, server: serverVersion, seconds, warmup, rounds, fdatasyncProbes: probes, rows: summary, ms: Date.now() - started }, null, 2)}\n`);
  } else {
    printTable(summary);
    log(`fdatasync/s probes (200-byte appends, 0.3 s, at the start of each round): ${probes.map((x) => fmt(x)).join(", ")}`);
  }
} finally {
  server?.stop();
}
