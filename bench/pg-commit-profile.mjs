// The PostgreSQL commit path, measured beside a raw `pg` INSERT loop on the same throwaway
// server (scripts/pg-server.mjs, fsync on). Figures and their reading: bench/pg-commit-profile.md.
//
//   npx tsc -p tsconfig.build.json && node bench/pg-commit-profile.mjs [--rounds 5] [--n 600]
//     [--only raw1,raw64,seq,in64,procs] [--module /abs/dist[,/abs/other-dist]]  (default ../dist)
//
// With two builds (say the commit before a change, built as bench/README.md shows), every round
// runs each row for each build back to back on the same server, so both see the same noise.
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
const dists = opt("module", join(here, "..", "dist")).split(",");
const doc = (i) => ({ title: `task ${i}`, done: false, tags: ["a", "b"], body: "x".repeat(120) });

/** Each build gets a schema of its own: a schema keeps the functions of the build that made it. */
async function openStore(dist, url, store) {
  const schema = `bench_${dists.indexOf(dist)}`;
  const { Store } = await import(pathToFileURL(join(dist, "index.js")).href);
  const { postgres } = await import(pathToFileURL(join(dist, "postgres.js")).href);
  const s = new Store();
  await s.open(postgres({ connectionString: url, store, schema }));
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

async function opslog(dist, url, n, depth, store) {
  const s = await openStore(dist, url, store);
  await s.set("warm", doc(-1));
  const rate = await drive(n, depth, (i) => s.set(`k${i % 5000}`, doc(i)));
  await s.close();
  return rate;
}

async function procs(dist, url, n, store) {
  const s = await openStore(dist, url, store); // creates the store before the children race
  await s.set("warm", doc(-1));
  await s.close();
  const children = Array.from({ length: 4 }, (_, p) =>
    fork(fileURLToPath(import.meta.url), ["--child", url, store, String(n), String(p), "--module", dists.join(","), "--build", dist]),
  );
  const ready = children.map((c) => new Promise((r) => c.once("message", r)));
  await Promise.all(ready);
  const started = performance.now();
  const done = children.map((c) => new Promise((r) => c.once("message", r)));
  for (const c of children) c.send("go");
  await Promise.all(done);
  const rate = ((4 * n) / (performance.now() - started)) * 1000;
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode === null ? c.once("exit", r) : r()))));
  return rate;
}

async function child() {
  const [url, store, n, p] = args.slice(1, 5);
  const s = await openStore(opt("build"), url, store);
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
    raw1: (_, r) => raw(server.url, n, 1, r),
    raw64: (_, r) => raw(server.url, n * 8, 64, r),
    seq: (d, r, m) => opslog(d, server.url, n, 1, `seq${r}_${m}`),
    in64: (d, r, m) => opslog(d, server.url, n * 8, 64, `in64_${r}_${m}`),
    procs: (d, r, m) => procs(d, server.url, n * 2, `procs${r}_${m}`),
  };
  const results = new Map();
  const key = (k, m) => (k.startsWith("raw") ? k : `${k}@${m}`);
  try {
    for (let r = 0; r < rounds; r++) {
      for (const k of only) {
        for (let m = 0; m < (k.startsWith("raw") ? 1 : dists.length); m++) {
          const rate = await rows[k](dists[m], r, m);
          if (!results.has(key(k, m))) results.set(key(k, m), []);
          results.get(key(k, m)).push(rate);
        }
      }
    }
  } finally {
    server.stop();
  }
  console.log(`${rounds} rounds; n=${n}; builds: ${dists.map((d, m) => `@${m} ${d}`).join(", ")}`);
  for (const [k, rates] of results) console.log(`${k.padEnd(8)} ${summary(rates)}`);
  if (dists.length === 2) {
    for (const k of only.filter((k) => !k.startsWith("raw"))) {
      const a = results.get(key(k, 0));
      const b = results.get(key(k, 1));
      const ratios = a.map((x, i) => b[i] / x).sort((x, y) => x - y);
      const f = (x) => x.toFixed(2);
      console.log(`${k.padEnd(8)} @1/@0 per round: median ${f(ratios[Math.floor(ratios.length / 2)])}` +
        ` (min ${f(ratios[0])}, max ${f(ratios.at(-1))})`);
    }
  }
}

if (args[0] === "--child") await child();
else await main();
