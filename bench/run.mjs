#!/usr/bin/env node
// opslog benchmark: every store × workload in its own child process, the machine's limits in
// the same run, durability checked under strace. See README.md.
//
//   node run.mjs                 full run (about 7-10 minutes), writes ../BENCHMARKS.md
//   node run.mjs --quick         about a minute, small N, writes results/BENCHMARKS-quick.md
//   node run.mjs --stores opslog,lmdb --workloads W1,W2
//   node run.mjs --profile W3 [--store opslog] [--quick]   CPU profile of the measured part, top self time
//   node run.mjs --render        BENCHMARKS.md again from the last full run (after editing analysis.md)
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { setTimeout, clearTimeout } from "node:timers";
import { OPSLOG_BASELINE_MODULE, OPSLOG_MODULE, STORES, storeById, versionOf } from "./lib/stores.mjs";
import { median } from "./lib/records.mjs";
import { analyseTrace, straceArgs, straceVersion } from "./lib/strace.mjs";
import { mainTable, verificationTable, targets, targetsTable, limitsTable, num } from "./lib/report.mjs";
import { topSelf, formatTop } from "./lib/profile.mjs";
import { SUBS } from "./lib/queries.mjs";
import { w6Section, w6Targets } from "./lib/report-w6.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..");
const resultsDir = path.join(here, "results");
const dataRoot = path.join(resultsDir, "data");

const { values: opts } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    stores: { type: "string" },
    workloads: { type: "string" },
    "skip-verify": { type: "boolean", default: false },
    out: { type: "string" },
    profile: { type: "string" },
    store: { type: "string", default: "opslog" },
    render: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
  strict: true,
});

if (opts.help) {
  console.log(fs.readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").slice(1, 9).join("\n").replace(/^\/\/ ?/gm, ""));
  process.exit(0);
}

const FULL = {
  limits: { syncMs: 1500, seqMB: 256, jsonRecords: 100_000 },
  passes: 3,
  W1: { rounds: 1, roundMs: 1000, maxOps: 20_000 },
  W2: { rounds: 1, total: 10_000, inflight: 64, capMs: 2000 },
  W3: { total: 200_000, batch: 1000, capMs: 12_000 },
  W4: { repeat: 3 },
  W5: { reads: 1_000_000, capMs: 5000 },
  W6: { rounds: 5, pagingRounds: 3 },
  W6h: { updates: 5000, updatesAsync: 20_000, capMs: 3000, passes: 2, opens: 3 },
  W8: { updates: 10_000, capMs: 6000, reopenRepeat: 3 },
  verify: { seqAcks: 100, concAcks: 640, inflight: 64 },
  timeoutMs: 240_000,
};
const QUICK = {
  limits: { syncMs: 300, seqMB: 64, jsonRecords: 20_000 },
  passes: 1,
  W1: { rounds: 1, roundMs: 300, maxOps: 5000 },
  W2: { rounds: 1, total: 2000, inflight: 64, capMs: 800 },
  W3: { total: 20_000, batch: 1000, capMs: 3000 },
  W4: { repeat: 1 },
  W5: { reads: 100_000, capMs: 800 },
  W6: { rounds: 3, pagingRounds: 1 },
  W6h: { updates: 500, updatesAsync: 2000, capMs: 800, passes: 1, opens: 1 },
  W8: { updates: 1000, capMs: 800, reopenRepeat: 1 },
  verify: { seqAcks: 30, concAcks: 192, inflight: 64 },
  timeoutMs: 90_000,
};
const P = opts.quick ? QUICK : FULL;
const log = (...a) => console.error(...a);

/** Run worker.mjs on one task; resolves to its result or { error }. */
function runChild(task, { nodeArgs = [], strace } = {}) {
  const command = [process.execPath, ...nodeArgs, path.join(here, "worker.mjs"), JSON.stringify(task)];
  const [cmd, ...args] = strace ? ["strace", ...straceArgs(strace, command)] : command;
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: here,
      // Node 20 keeps libuv's io_uring off by default; pinned so that strace sees every sync.
      env: { ...process.env, UV_USE_IO_URING: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => {
      err += `\n(killed after ${P.timeoutMs} ms)`;
      child.kill("SIGKILL");
    }, P.timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      const line = out.split("\n").find((l) => l.startsWith("@@RESULT "));
      if (code === 0 && line) resolve(JSON.parse(line.slice("@@RESULT ".length)));
      else if (code === 13 && !err.trim()) resolve({ error: "exit 13: a promise never settled (the event loop emptied while the workload awaited it)" });
      else resolve({ error: (err.trim().split("\n").filter(Boolean).slice(-3).join(" | ") || `exit ${code}`).slice(0, 400) });
    });
  });
}

/** Allocated and apparent bytes under dir, and allocated bytes per file (path relative to dir). */
function diskUsage(dir) {
  let allocated = 0;
  let apparent = 0;
  const files = {};
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const st = fs.lstatSync(p);
      if (e.isDirectory()) walk(p);
      else {
        allocated += st.blocks * 512;
        apparent += st.size;
        files[path.relative(dir, p)] = st.blocks * 512;
      }
    }
  };
  walk(dir);
  return { allocated, apparent, files };
}

function machine() {
  const cpus = os.cpus();
  let fsType = "?";
  try {
    const m = fs.readFileSync("/proc/mounts", "utf8").split("\n").map((l) => l.split(" "));
    let best = "";
    for (const [dev, mnt, type] of m) {
      if (mnt && resultsDir.startsWith(mnt) && mnt.length > best.length) {
        best = mnt;
        fsType = `${type} on ${dev} (${mnt})`;
      }
    }
  } catch {
    // not Linux
  }
  return {
    cpu: `${cpus[0]?.model ?? "?"} × ${cpus.length}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    fs: fsType,
  };
}

function gitInfo() {
  try {
    const head = execFileSync("git", ["-C", repoRoot, "rev-parse", "--short", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const dirty = execFileSync("git", ["-C", repoRoot, "status", "--porcelain", "--", "src"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    return `, built from commit ${head}${dirty ? " with uncommitted changes in src/" : ""}`;
  } catch {
    return "";
  }
}

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(1);
}

async function preflight() {
  if (process.env.OPSLOG_BENCH_STUB === "1") {
    log("bench: OPSLOG_BENCH_STUB=1: the opslog rows measure a STUB, not opslog");
    return "stub";
  }
  if (!fs.existsSync(OPSLOG_MODULE)) {
    fail(`opslog is not built (${path.relative(process.cwd(), OPSLOG_MODULE)} is missing): run \`npm run build\` at the repository root first.`);
  }
  if (!fs.existsSync(path.join(here, "node_modules"))) fail("peers are not installed: run `npm ci --prefix bench`.");
  const version = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")).version;
  if (process.env.OPSLOG_BENCH_MODULE) {
    const snap = path.join(path.dirname(OPSLOG_MODULE), "..", "COMMIT");
    const commit = fs.existsSync(snap) ? `, a build of commit ${fs.readFileSync(snap, "utf8").trim()}` : "";
    return `opslog ${version}, ${path.relative(repoRoot, OPSLOG_MODULE)} (OPSLOG_BENCH_MODULE${commit})`;
  }
  return `opslog ${version}, ${path.relative(repoRoot, OPSLOG_MODULE)}${gitInfo()}`;
}

const seconds = (t0) => ((performance.now() - t0) / 1000).toFixed(1);

function noter(row) {
  return (key, r, unit) => {
    row.results[key] = r;
    log(`  ${row.id.padEnd(14)} ${key.padEnd(9)} ${r.error ? "ERROR " + r.error : `${Math.round(r.value).toLocaleString("en-US")} ${unit}${r.capped ? " (time cap)" : ""}`}`);
  };
}

/**
 * W1 and W2 run in passes over all rows (forward, backward, forward...), one child per row and
 * pass, the median over passes reported: the disk is shared, and its sync rate drifts during a
 * run; interleaving keeps every row exposed to the same drift. A short fdatasync probe opens
 * every pass, to show that drift.
 */
async function measureWrites(rows, wanted) {
  const runs = new Map(rows.map((r) => [r.id, { W1: [], W2: [] }]));
  const probes = [];
  for (let pass = 0; pass < P.passes; pass++) {
    const probe = await runChild({ workload: "limits", only: "sync", dir: path.join(dataRoot, "probe"), syncMs: 300 });
    probes.push(probe.error ? NaN : probe.fdatasyncPerSec);
    log(`  pass ${pass + 1}/${P.passes}: fdatasync probe ${probe.error ?? Math.round(probe.fdatasyncPerSec) + "/s"}`);
    const order = pass % 2 === 0 ? rows : [...rows].reverse();
    for (const row of order) {
      for (const w of ["W1", "W2"]) {
        if (!wanted.has(w)) continue;
        const dir = path.join(dataRoot, row.id, w.toLowerCase());
        fs.rmSync(dir, { recursive: true, force: true });
        const r = await runChild({ store: row.id, workload: w, dir, ...P[w] });
        fs.rmSync(dir, { recursive: true, force: true });
        runs.get(row.id)[w].push(r);
        if (r.error) log(`  ${row.id.padEnd(14)} ${w.padEnd(9)} ERROR ${r.error}`);
      }
    }
  }
  for (const row of rows) {
    for (const w of ["W1", "W2"]) {
      const all = runs.get(row.id)[w];
      if (all.length === 0) continue;
      const ok = all.filter((r) => !r.error);
      noter(row)(w, ok.length === 0 ? all[0] : { value: median(ok.map((r) => r.value)), passes: ok.map((r) => r.value), capped: ok.some((r) => r.capped) }, "set/s");
    }
  }
  return probes;
}

async function measureStore(store, row, wanted, stracing) {
  const dir = path.join(dataRoot, store.id);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const note = noter(row);
  const needData = ["W3", "W4", "W5", "W6", "W7", "W8", ...SUBS, "W6H"].some((w) => wanted.has(w.toUpperCase()));
  if (store.full && needData) {
    const main = path.join(dir, "main");
    const w3 = await runChild({ store: store.id, workload: "W3", dir: main, ...P.W3 });
    note("W3", w3, "rec/s");
    if (!w3.error) {
      const du = diskUsage(main);
      note("W7", { value: du.allocated / 2 ** 20, bytes: du.allocated, apparentBytes: du.apparent, files: du.files }, "MB");
      if (wanted.has("W4")) {
        const runs = [];
        for (let k = 0; k < P.W4.repeat; k++) runs.push(await runChild({ store: store.id, workload: "W4", dir: main, total: P.W3.total }));
        const ok = runs.filter((r) => !r.error);
        if (ok.length === 0) {
          note("W4", runs[0], "ms");
        } else {
          note("W4", { value: median(ok.map((r) => r.value)), runs: ok.map((r) => r.value) }, "ms");
          note("W4rss", { value: median(ok.map((r) => r.rssMB)), baselineMB: median(ok.map((r) => r.rssBeforeMB)) }, "MB");
        }
      }
      if (wanted.has("W5")) {
        const w5 = await runChild({ store: store.id, workload: "W5", dir: main, total: P.W3.total, ...P.W5 });
        note("W5", w5, "reads/s");
        if (w5.warm) note("W5warm", w5.warm, "reads/s after a scan");
      }
      if (wanted.has("W8")) {
        const w8 = await runChild({ store: store.id, workload: "W8", dir: main, total: P.W3.total, ...P.W8 });
        note("W8", w8, "upd/s");
        if (w8.closeMs !== undefined) note("W8close", { value: w8.closeMs }, "ms close");
        if (!w8.error) {
          const runs = [];
          for (let k = 0; k < P.W8.reopenRepeat; k++) {
            runs.push(
              await runChild({ store: store.id, workload: "W4", dir: main, total: P.W3.total, lastUpdatedId: w8.lastUpdatedId, checkVersion: w8.lastVersion }),
            );
          }
          const ok = runs.filter((r) => !r.error);
          note("W8reopen", ok.length ? { value: median(ok.map((r) => r.value)), runs: ok.map((r) => r.value) } : runs[0], "ms");
        }
      }
      // W6 runs last: SQLite's indexes and W6h's updates change the store W4-W8 measured.
      await measureQueries(store, row, wanted, main);
    }
  }
  if (!opts["skip-verify"]) {
    if (!stracing) row.durability = { unavailable: true };
    else {
      row.durability = {};
      for (const [key, acks, inflight] of [["seq", P.verify.seqAcks, 1], ["conc", P.verify.concAcks, P.verify.inflight]]) {
        const trace = path.join(dir, `strace-${key}.txt`);
        const r = await runChild({ store: store.id, workload: "verify", dir: path.join(dir, "verify"), acks, inflight }, { strace: trace });
        row.durability[key] = r.error ? { error: "verification run failed: " + r.error } : analyseTrace(trace, acks);
        const d = row.durability[key];
        log(`  ${store.id.padEnd(14)} ${("sync " + key).padEnd(9)} ${d.error ?? `${d.synced}/${d.acks} acks synced, ${d.syncsPerAck.toFixed(2)} syncs/ack`}`);
        if (d.counts?.ioUring) log(`  ${store.id}: io_uring in use: strace cannot see its I/O; the verdict may be wrong`);
      }
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * W6a-W6g in one child per store (open once, every query path, warm-up then rounds), then for
 * opslog W6h: updates with the 4 indexes against none (alternating children), and open time
 * and the first queries after open in fresh processes.
 */
async function measureQueries(store, row, wanted, main) {
  const subs = SUBS.filter((w) => wanted.has("W6") || wanted.has(w.toUpperCase()));
  const make = store.make();
  if (subs.length > 0 && make.queries) {
    const r = await runChild({ store: store.id, workload: "W6", dir: main, subs, ...P.W6 });
    if (r.error) for (const w of subs) row.results[w] = { error: r.error };
    else {
      row.w6 = { setup: r.setup, plans: r.plans, explain: r.explain, openMs: r.openMs };
      for (const [name, res] of Object.entries(r.paths)) {
        for (const [w, x] of Object.entries(res)) row.results[name === "scan" && store.id.startsWith("opslog") ? `${w}-scan` : w] = x;
      }
      for (const w of subs) {
        const x = row.results[w];
        const sc = row.results[`${w}-scan`];
        log(`  ${row.id.padEnd(14)} ${w.padEnd(9)} ${x?.error ? "ERROR " + x.error : `${num(x?.value)} ms`}${sc ? `; own scan ${sc.error ? "ERROR " + sc.error : num(sc.value) + " ms"}` : ""}`);
      }
    }
  }
  if (store.id !== "opslog" || !(wanted.has("W6") || wanted.has("W6H"))) return;
  const H = P.W6h;
  const upd = { none: [], idx: [], noneAsync: [], idxAsync: [] };
  let seed = 1;
  for (let pass = 0; pass < H.passes; pass++) {
    const order = pass % 2 === 0 ? [false, true] : [true, false];
    for (const writeMode of [undefined, "async"]) {
      for (const indexed of order) {
        const updates = writeMode ? H.updatesAsync : H.updates;
        const x = await runChild({ store: store.id, workload: "W6hupd", dir: main, indexed, writeMode, updates, capMs: H.capMs, total: P.W3.total, seed: seed++ });
        upd[`${indexed ? "idx" : "none"}${writeMode ? "Async" : ""}`].push(x);
      }
    }
  }
  for (const [k, runs] of Object.entries(upd)) {
    const ok = runs.filter((x) => !x.error);
    note6(row, `W6hupd-${k}`, ok.length ? { value: median(ok.map((x) => x.value)), passes: ok.map((x) => x.value), capped: ok.some((x) => x.capped) } : runs[0], "upd/s");
  }
  const opens = { none: [], idx: [] };
  for (let k = 0; k < H.opens; k++) {
    for (const indexed of k % 2 === 0 ? [false, true] : [true, false]) {
      opens[indexed ? "idx" : "none"].push(await runChild({ store: store.id, workload: "W6hopen", dir: main, indexed }));
    }
  }
  for (const [k, runs] of Object.entries(opens)) {
    const ok = runs.filter((x) => !x.error);
    if (ok.length === 0) {
      note6(row, `W6hopen-${k}`, runs[0], "ms");
      continue;
    }
    note6(row, `W6hopen-${k}`, { value: median(ok.map((x) => x.openMs)), runs: ok.map((x) => x.openMs) }, "ms open");
    note6(row, `W6hfirst-${k}`, { value: median(ok.map((x) => x.firstMs)), runs: ok.map((x) => x.firstMs) }, "ms first W6f query");
    note6(row, `W6hcount-${k}`, { value: median(ok.map((x) => x.firstCountMs)), runs: ok.map((x) => x.firstCountMs) }, "ms first W6a count");
  }
}

function note6(row, key, r, unit) {
  row.results[key] = r;
  log(`  ${row.id.padEnd(14)} ${key.padEnd(16)} ${r.error ? "ERROR " + r.error : `${num(r.value)} ${unit}${r.capped ? " (time cap)" : ""}`}`);
}

function renderReport({ rows, limits, meta, targetList }) {
  const legend = [
    "Each cell is the median of the runs; `(N×)` is the value divided by opslog's (for ms and MB lower is better).",
    "`*` = the workload hit its time cap; the rate is over the part done. Rows whose acknowledged writes were not synced",
    "(column 3) are not comparable with durable rows on W1, W2 and W8: they acknowledge before the data is on disk.",
    "\"partly\" means only some acknowledged writes had a sync in their window, which is no guarantee (SQLite NORMAL's WAL",
    "checkpoints fsync now and then, for example).",
    "Write-mode variants (group/async, NORMAL, sync: true) differ from the row above them only in how writes are",
    "acknowledged, so they run W1 and W2 only.",
  ].join("\n");
  return `# opslog benchmarks

${meta.quick ? "**Quick run (small N, `--quick`): indicative only.**\n\n" : ""}Produced by \`npm run bench${meta.quick ? " -- --quick" : ""}\` (bench/run.mjs) on ${meta.date}, in ${meta.elapsed} s.
Workloads, sizes and the durability check are described in [bench/README.md](bench/README.md).

## Machine

| | |
|---|---|
| CPU | ${meta.machine.cpu} |
| memory | ${meta.machine.memory} |
| OS | ${meta.machine.os} |
| Node.js | ${meta.machine.node} |
| file system | ${meta.machine.fs} |
| load average at start / end | ${meta.loadStart} / ${meta.loadEnd} |
| opslog under test | ${meta.opslog} |
| strace | ${meta.strace ?? "**not available: durability could not be verified**"} |

Limits measured in this run:

${limitsTable(limits)}

fdatasync/s probes at the start of each W1/W2 pass (the disk is shared; this shows its drift): ${meta.syncProbes.map((x) => Math.round(x).toLocaleString("en-US")).join(", ")}.

## Results (${meta.sizes})

${mainTable(rows)}

${legend}

## Targets (issue 5, and issue 14 marked (14); opslog in its default durable mode, ratios within this run)

${targetsTable(targetList)}

${w6Section(rows, meta)}

## W7: opslog's files after the bulk load

${w7Files(rows.find((r) => r.id === "opslog"))}

## Durability check (strace)

An acknowledged write counts as synced when an fsync/fdatasync/msync(MS_SYNC) call, or a write to a
file opened with O_DSYNC/O_SYNC, started after the write was issued and completed before its
promise resolved. "seq": ${meta.verify.seqAcks} sequential writes; "64∥": ${meta.verify.concAcks} writes with ${meta.verify.inflight} in flight
(syncs/ack below 1 there is group commit).

${verificationTable(rows)}

## Versions

${meta.versions.map(([k, v]) => `${k} ${v}`).join(", ")}
${analysisSection()}`;
}

/** The hand-written reading of the targets (bench/analysis.md), kept beside the generated tables. */
function analysisSection() {
  const file = path.join(here, "analysis.md");
  if (!fs.existsSync(file)) return "";
  return `\n${fs.readFileSync(file, "utf8").trim()}\n`;
}

function w7Files(row) {
  const files = row?.results.W7?.files;
  if (!files) return "_not measured_";
  const lines = ["| file | MB |", "|---|---:|"];
  const sorted = Object.entries(files).sort((a, b) => b[1] - a[1]);
  for (const [f, b] of sorted.slice(0, 15)) lines.push(`| ${f} | ${(b / 2 ** 20).toFixed(2)} |`);
  if (sorted.length > 15) {
    const rest = sorted.slice(15).reduce((t, [, b]) => t + b, 0);
    lines.push(`| ${sorted.length - 15} more files | ${(rest / 2 ** 20).toFixed(2)} |`);
  }
  return lines.join("\n");
}

async function profile() {
  const store = storeById(opts.store);
  const w = opts.profile;
  const dir = path.join(dataRoot, `profile-${store.id}`);
  const main = path.join(dir, "main");
  const profDir = path.join(resultsDir, "profiles", `${store.id}-${w}-${Date.now()}`);
  fs.mkdirSync(profDir, { recursive: true });
  // The worker runs V8's profiler (node:inspector) around the measured part only.
  const profileFile = path.join(profDir, `${store.id}-${w}.cpuprofile`);
  const base = { store: store.id, total: P.W3.total };
  const withProf = (task) => ({ ...task, profileFile });
  let r;
  if (w === "W1" || w === "W2") {
    fs.rmSync(dir, { recursive: true, force: true });
    r = await runChild(withProf({ ...base, workload: w, dir: path.join(dir, "w"), ...P[w] }));
  } else if (w === "W3") {
    r = await runChild(withProf({ ...base, workload: "W3", dir: main, ...P.W3 }));
  } else {
    const w3 = await runChild({ ...base, workload: "W3", dir: main, ...P.W3 });
    if (w3.error) fail(`W3 failed: ${w3.error}`);
    if (w === "W4") r = await runChild(withProf({ ...base, workload: "W4", dir: main }));
    else if (w === "W5") r = await runChild(withProf({ ...base, workload: "W5", dir: main, ...P.W5 }));
    else if (w === "W6") r = await runChild(withProf({ ...base, workload: "W6", dir: main, ...P.W6 }));
    else if (w === "W8") r = await runChild(withProf({ ...base, workload: "W8", dir: main, ...P.W8 }));
    else if (w === "W8reopen") {
      const w8 = await runChild({ ...base, workload: "W8", dir: main, ...P.W8 });
      if (w8.error) fail(`W8 failed: ${w8.error}`);
      r = await runChild(withProf({ ...base, workload: "W4", dir: main }));
    } else fail(`cannot profile ${w}: use W1, W2, W3, W4, W5, W6, W8 or W8reopen`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  if (r.error) fail(`${w} failed: ${r.error}`);
  const file = fs.readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) fail("no .cpuprofile written");
  console.log(`${store.id} ${w}: ${JSON.stringify({ ...r, rounds: undefined })}`);
  console.log(`profile: ${path.relative(repoRoot, path.join(profDir, file))}`);
  console.log(formatTop(topSelf(path.join(profDir, file), repoRoot, 25)));
}

/** --render: writes BENCHMARKS.md again from the last full run's numbers (after editing analysis.md). */
function render() {
  const saved = JSON.parse(fs.readFileSync(path.join(resultsDir, "results-full.json"), "utf8"));
  const out = opts.out ?? path.join(repoRoot, "BENCHMARKS.md");
  fs.writeFileSync(out, renderReport({ rows: saved.rows, limits: saved.limits, meta: saved.meta, targetList: saved.targets }));
  log(`bench: wrote ${path.relative(process.cwd(), out)} from bench/results/results-full.json`);
}

async function main() {
  if (opts.render) return render();
  const opslog = await preflight();
  if (opts.profile) return profile();
  const t0 = performance.now();
  const loadStart = os.loadavg().map((x) => x.toFixed(2)).join(" ");
  const strace = straceVersion();
  if (!strace && !opts["skip-verify"]) log("bench: strace is not available: durability will be reported as unknown (apt-get install -y strace)");
  const selected = opts.stores
    ? opts.stores.split(",").map((s) => storeById(s.trim()))
    : STORES.filter((s) => s.id !== "opslog-baseline" || OPSLOG_BASELINE_MODULE);
  const all = ["W1", "W2", "W3", "W4", "W5", "W6", ...SUBS.map((w) => w.toUpperCase()), "W6H", "W7", "W8"];
  const wanted = new Set(opts.workloads ? opts.workloads.split(",").map((w) => w.trim().toUpperCase()) : all);
  for (const w of wanted) if (!all.includes(w)) fail(`unknown workload ${w}`);
  fs.mkdirSync(dataRoot, { recursive: true });

  log(`bench: ${opts.quick ? "quick" : "full"} run, ${selected.length} stores, data in ${path.relative(repoRoot, dataRoot)}`);
  const limits = await runChild({ workload: "limits", dir: path.join(dataRoot, "limits"), ...P.limits });
  log(`  machine        limits    ${limits.error ?? `${Math.round(limits.fdatasyncPerSec)} fdatasync/s, ${Math.round(limits.seqWriteMBps)} MB/s, stringify ${Math.round(limits.stringifyPerSec)}/s, parse ${Math.round(limits.parsePerSec)}/s`}`);
  const rows = selected.map((s) => ({ id: s.id, label: s.label, mode: s.mode, full: !!s.full, results: {}, durability: undefined }));
  const tw = performance.now();
  const syncProbes = await measureWrites(rows, wanted);
  log(`  W1/W2 passes done in ${seconds(tw)} s`);
  for (const [k, store] of selected.entries()) {
    const ts = performance.now();
    await measureStore(store, rows[k], wanted, !!strace);
    log(`  ${store.id.padEnd(14)} done in ${seconds(ts)} s`);
  }
  const meta = {
    quick: opts.quick,
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    elapsed: seconds(t0),
    machine: machine(),
    loadStart,
    syncProbes,
    loadEnd: os.loadavg().map((x) => x.toFixed(2)).join(" "),
    opslog,
    strace,
    verify: P.verify,
    w6Rounds: P.W6.rounds,
    total: P.W3.total.toLocaleString("en-US"),
    sizes: `W1 ${P.passes}×${P.W1.roundMs} ms; W2 ${P.passes}×${P.W2.total.toLocaleString("en-US")} writes, ${P.W2.inflight} in flight; W3-W8 on ${P.W3.total.toLocaleString("en-US")} records; W5 ${P.W5.reads.toLocaleString("en-US")} reads; W8 ${P.W8.updates.toLocaleString("en-US")} updates`,
    versions: [
      ["@backloghq/opslog", versionOf("@backloghq/opslog")],
      ["better-sqlite3", versionOf("better-sqlite3")],
      ["lmdb", versionOf("lmdb")],
      ["classic-level", versionOf("classic-level")],
      ["@seald-io/nedb", versionOf("@seald-io/nedb")],
      ["lowdb", versionOf("lowdb")],
      ["lokijs", versionOf("lokijs")],
    ],
  };
  const targetList = targets(rows);
  const md = renderReport({ rows, limits, meta, targetList });
  const partial = opts.quick || opts.stores || opts.workloads || opts["skip-verify"];
  const out = opts.out ?? (partial ? path.join(resultsDir, `BENCHMARKS-${opts.quick ? "quick" : "partial"}.md`) : path.join(repoRoot, "BENCHMARKS.md"));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, md);
  const kind = opts.quick ? "quick" : partial ? "partial" : "full";
  fs.writeFileSync(path.join(resultsDir, `results-${kind}.json`), JSON.stringify({ meta, limits, rows, targets: targetList }, null, 2));
  console.log(`\n${mainTable(rows)}\n`);
  const w6List = w6Targets(rows);
  if (w6List.length) console.log("W6 targets (issue 13):\n" + w6List.map((t) => `  ${t.met === undefined ? "n/a   " : t.met ? "met   " : "MISSED"} ${t.name}: ${t.measured}`).join("\n"));
  console.log("Targets:\n" + targetList.map((t) => `  ${t.met === undefined ? "n/a   " : t.met ? "met   " : "MISSED"} ${t.name}: ${t.measured}`).join("\n"));
  log(`bench: wrote ${path.relative(process.cwd(), out)} (${meta.elapsed} s)`);
  const problems = sanityProblems(rows);
  if (problems.length > 0) fail(`opslog's own rows failed (no thresholds are applied; these are errors):\n  ${problems.join("\n  ")}`);
}

/**
 * What makes a run fail, in CI too: not a slow figure (there are no thresholds) but opslog
 * failing a workload, or strace seeing a durable opslog mode acknowledge a write before syncing it.
 */
function sanityProblems(rows) {
  const problems = [];
  for (const row of rows.filter((r) => r.id.startsWith("opslog"))) {
    for (const [w, r] of Object.entries(row.results)) if (r.error) problems.push(`${row.id} ${w}: ${r.error}`);
    const durable = row.id !== "opslog-async";
    for (const [key, d] of Object.entries(row.durability ?? {})) {
      if (d?.error) problems.push(`${row.id} durability ${key}: ${d.error}`);
      else if (durable && d && typeof d.synced === "number" && d.synced < d.acks) {
        problems.push(`${row.id} durability ${key}: only ${d.synced} of ${d.acks} acknowledged writes were synced first`);
      }
    }
  }
  return problems;
}

try {
  await main();
} catch (error) {
  fail(error?.message ?? String(error));
}
