// The PostgreSQL commit path, measured beside a raw `pg` INSERT loop on the same throwaway
// server (scripts/pg-server.mjs, fsync on). Figures and their reading: bench/pg-commit-profile.md.
//
//   npx tsc -p tsconfig.build.json && node bench/pg-commit-profile.mjs [--rounds 5] [--n 600]
//     [--only raw1,raw64,seq,in64,procs] [--module /abs/dist]   (default: ../dist)
//
// Rows: raw1 = INSERT+COMMIT loop on one connection; raw64 = the same with 64 in flight on a
// pool of 64; seq = store.set awaited one by one; in64 = 64 store.set in flight; procs = 4
// processes x 64 in flight on one store. Every row is writes/s, median of the rounds, with the
// min and max (the machine has 2 shared cores: the spread is the noise).
import { fork } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";
import pg from "pg";
import { startPgServer } from "../scripts/pg-server.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const dist = opt("module", join(here, "..", "dist"));
const doc = (i) => ({ title: `task ${i}`, done: false, tags: ["a", "b"], body: "x".repeat(120) });

async function openStore(url, store) {
  const { Store } = await import(pathToFileURL(join(dist, "index.js")).href);
  const { postgres } = await import(pathToFileURL(join(dist, "postgres.js")).href);
  const s = new Store();
  await s.open(postgres({ connectionString: url, store }));
  return s;
}

/** Runs `count` calls of `write(i)` with at most `depth` in flight; returns writes/s. */
async function drive(count, depth, write) {
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < count) await write(next++);
  };
  await Promise.all(Array.from({ length: depth }, lane));
  return (count / (performance.now() - started)) * 1000;
}

async function raw(url, n, depth, round) {
  const pool = new pg.Pool({ connectionString: url, max: depth });
  const table = `raw_${depth}_${round}`;
  await pool.query(`create table ${table} (id bigserial primary key, k text, v json)`);
  const text = `insert into ${table} (k, v) values ($1, $2)`;
  await Promise.all(Array.from({ length: depth }, (_, i) => pool.query(text, [`w${i}`, "{}"])));
  const rate = await drive(n, depth, (i) =>
    pool.query({ name: `ins_${table}`, text, values: [`k${i}`, JSON.stringify(doc(i))] }),
  );
  await pool.end();
  return rate;
}

async function opslog(url, n, depth, store) {
  const s = await openStore(url, store);
  await s.set("warm", doc(-1));
  const rate = await drive(n, depth, (i) => s.set(`k${i % 5000}`, doc(i)));
  await s.close();
  return rate;
}

async function procs(url, n, store) {
  const s = await openStore(url, store); // creates the store before the children race
  await s.set("warm", doc(-1));
  await s.close();
  const children = Array.from({ length: 4 }, (_, p) =>
    fork(fileURLToPath(import.meta.url), ["--child", url, store, String(n), String(p), "--module", dist]),
  );
  const ready = children.map((c) => new Promise((r) => c.once("message", r)));
  await Promise.all(ready);
  const started = performance.now();
  const done = children.map((c) => new Promise((r) => c.once("message", r)));
  for (const c of children) c.send("go");
  await Promise.all(done);
  return ((4 * n) / (performance.now() - started)) * 1000;
}

async function child() {
  const [url, store, n, p] = args.slice(1, 5);
  const s = await openStore(url, store);
  await s.set(`warm${p}`, doc(-1));
  process.send("ready");
  await new Promise((r) => process.once("message", r));
  await drive(Number(n), 64, (i) => s.set(`p${p}-${i % 2000}`, doc(i)));
  process.send("done");
  await s.close();
  process.exit(0);
}

function summary(rates) {
  const sorted = [...rates].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const f = (x) => Math.round(x).toLocaleString("en-US");
  return `${f(median).padStart(7)} /s  (min ${f(sorted[0])}, max ${f(sorted.at(-1))}, n=${rates.length})`;
}

async function main() {
  const rounds = Number(opt("rounds", "5"));
  const n = Number(opt("n", "600"));
  const only = opt("only", "raw1,raw64,seq,in64,procs").split(",");
  const server = await startPgServer();
  const rows = {
    raw1: (r) => raw(server.url, n, 1, r),
    raw64: (r) => raw(server.url, n * 8, 64, r),
    seq: (r) => opslog(server.url, n, 1, `seq${r}`),
    in64: (r) => opslog(server.url, n * 8, 64, `in64_${r}`),
    procs: (r) => procs(server.url, n * 2, `procs${r}`),
  };
  const results = Object.fromEntries(only.map((k) => [k, []]));
  try {
    for (let r = 0; r < rounds; r++) {
      for (const k of only) results[k].push(await rows[k](r));
    }
  } finally {
    server.stop();
  }
  console.log(`module ${dist}; ${rounds} rounds; n=${n}`);
  for (const k of only) console.log(`${k.padEnd(6)} ${summary(results[k])}`);
}

if (args[0] === "--child") await child();
else await main();
