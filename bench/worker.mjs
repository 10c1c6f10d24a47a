// One store × one workload, in its own process. Invoked by run.mjs as
//   node worker.mjs '<json task>'
// and prints one line "@@RESULT <json>" on stdout.
import fs from "node:fs";
import { Buffer } from "node:buffer";
import { performance } from "node:perf_hooks";
import inspector from "node:inspector";
import { idOf, makeRecord, median, prng } from "./lib/records.mjs";
import { OPSLOG_INDEXES, SUBS } from "./lib/queries.mjs";
import { storeById } from "./lib/stores.mjs";

const task = JSON.parse(process.argv[2] ?? "{}");
const now = () => performance.now();

function report(result) {
  process.stdout.write("@@RESULT " + JSON.stringify(result) + "\n");
}

// With task.profileFile, the V8 CPU profiler runs around the measured part only (run.mjs --profile).
let session;
const post = (method, params) =>
  new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
async function profStart() {
  if (!task.profileFile || session) return;
  session = new inspector.Session();
  session.connect();
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: 200 });
  await post("Profiler.start");
}
async function profStop() {
  if (!session) return;
  const { profile } = await post("Profiler.stop");
  fs.writeFileSync(task.profileFile, JSON.stringify(profile));
  session.disconnect();
  session = undefined;
}

/** A failed openat on a path that cannot exist: visible in an strace log, harmless otherwise. */
function marker(name) {
  try {
    fs.closeSync(fs.openSync(`/__opslog_bench_marker__/${name}`, "r"));
  } catch {
    // expected: ENOENT
  }
}

async function openStore(dir) {
  const adapter = storeById(task.store).make();
  await adapter.open(dir);
  return adapter;
}

/** W1: sequential `await set()` of new records; rounds of `roundMs`, median of rounds. */
async function w1() {
  const s = await openStore(task.dir);
  let next = 0;
  for (let k = 0; k < 50; k++, next++) await s.set(idOf(next), makeRecord(next)); // warm-up
  const records = Array.from({ length: task.maxOps }, (_, k) => makeRecord(next + k));
  const rates = [];
  let ops = 0;
  await profStart();
  for (let round = 0; round < task.rounds; round++) {
    const t0 = now();
    let n = 0;
    while (n < task.maxOps && now() - t0 < task.roundMs) {
      await s.set(idOf(next), records[n]);
      next++;
      n++;
    }
    rates.push(n / ((now() - t0) / 1000));
    ops += n;
  }
  await profStop();
  await s.flush?.();
  await s.close();
  return { value: median(rates), rounds: rates, ops, info: s.info?.() };
}

/** W2: `total` writes with `inflight` outstanding at any time; rounds, median. */
async function w2() {
  const s = await openStore(task.dir);
  let next = 0;
  for (let k = 0; k < 50; k++, next++) await s.set(idOf(next), makeRecord(next));
  const rates = [];
  let capped = false;
  await profStart();
  for (let round = 0; round < task.rounds; round++) {
    const base = next;
    const records = Array.from({ length: task.total }, (_, k) => makeRecord(base + k));
    let issued = 0;
    let done = 0;
    const t0 = now();
    const deadline = t0 + task.capMs;
    const lane = async () => {
      while (issued < task.total && now() < deadline) {
        const k = issued++;
        await s.set(idOf(base + k), records[k]);
        done++;
      }
    };
    await Promise.all(Array.from({ length: task.inflight }, lane));
    const secs = (now() - t0) / 1000;
    if (done < task.total) capped = true;
    rates.push(done / secs);
    next = base + task.total;
  }
  await profStop();
  await s.flush?.();
  await s.close();
  return { value: median(rates), rounds: rates, capped };
}

/** W3: bulk load of `total` records in batches of `batch`, default options, close included. */
async function w3() {
  fs.rmSync(task.dir, { recursive: true, force: true });
  const s = await openStore(task.dir);
  await profStart();
  const t0 = now();
  const deadline = t0 + task.capMs;
  let loaded = 0;
  while (loaded < task.total && now() < deadline) {
    const entries = [];
    for (let k = 0; k < task.batch && loaded + k < task.total; k++) entries.push([idOf(loaded + k), makeRecord(loaded + k)]);
    await s.bulk(entries);
    loaded += entries.length;
  }
  let value;
  let closeMs;
  const capped = loaded < task.total;
  if (!capped) {
    const tc = now();
    await s.close();
    closeMs = now() - tc;
    value = loaded / ((now() - t0) / 1000);
    await profStop();
  } else {
    value = loaded / ((now() - t0) / 1000);
    await profStop();
    // Untimed: the rest of the data set, so that W4-W8 measure the same 200,000 records.
    const rest = [];
    for (let i = loaded; i < task.total; i++) rest.push([idOf(i), makeRecord(i)]);
    if (s.fill) await s.fill(task.dir, rest);
    else for (let i = 0; i < rest.length; i += task.batch) await s.bulk(rest.slice(i, i + task.batch));
    await s.close();
  }
  return { value, loaded, capped, closeMs };
}

/** W4 (and W8's reopen): cold open of the stored data in this fresh process; time and RSS. */
async function w4() {
  const rssBefore = process.memoryUsage().rss;
  await profStart();
  const t0 = now();
  const s = await openStore(task.dir);
  const openMs = now() - t0;
  await profStop();
  // Make sure the store really serves data (lazy stores do their work here).
  const probe = await s.get(idOf(task.total - 1));
  if (!probe) throw new Error(`record ${idOf(task.total - 1)} missing after open`);
  const rss = process.memoryUsage().rss;
  if (task.checkVersion !== undefined) {
    // W8 reopen: the last update must be visible.
    const v = await s.get(idOf(task.lastUpdatedId));
    if (!v || v.version !== task.checkVersion) throw new Error(`update of ${idOf(task.lastUpdatedId)} lost across reopen`);
  }
  return { value: openMs, rssMB: rss / 2 ** 20, rssBeforeMB: rssBefore / 2 ** 20, close: () => s.close() };
}

/** W5: random point reads of existing ids. */
async function w5() {
  const s = await openStore(task.dir);
  const rnd = prng(42);
  const ids = Array.from({ length: Math.min(task.reads, 1 << 20) }, () => idOf(Math.floor(rnd() * task.total)));
  const mask = ids.length;
  let sum = 0;
  const asyncGet = s.asyncGet === true;
  for (let k = 0; k < 10_000; k++) {
    const v = asyncGet ? await s.get(ids[k % mask]) : s.get(ids[k % mask]);
    sum += v.age;
  }
  await profStart();
  const t0 = now();
  const deadline = t0 + task.capMs;
  let n = 0;
  if (asyncGet) {
    while (n < task.reads && (n & 1023 || now() < deadline)) {
      sum += (await s.get(ids[n % mask])).age;
      n++;
    }
  } else {
    while (n < task.reads && (n & 1023 || now() < deadline)) {
      sum += s.get(ids[n % mask]).age;
      n++;
    }
  }
  const secs = (now() - t0) / 1000;
  await profStop();
  // W5 warm: the same reads again after one full scan (W6's filter), as a long-running process
  // that has read its data once sees them: the scan parses whatever a store keeps unparsed.
  await s.filter(() => false);
  const t1 = now();
  let w = 0;
  if (asyncGet) {
    while (w < task.reads && (w & 1023 || now() < t1 + task.capMs)) {
      sum += (await s.get(ids[w % mask])).age;
      w++;
    }
  } else {
    while (w < task.reads && (w & 1023 || now() < t1 + task.capMs)) {
      sum += s.get(ids[w % mask]).age;
      w++;
    }
  }
  const warm = { value: w / ((now() - t1) / 1000), reads: w, capped: w < task.reads };
  await s.close();
  return { value: n / secs, reads: n, capped: n < task.reads, checksum: sum, warm };
}

/**
 * W6a-W6g: the queries of lib/queries.mjs, every query path the store has (opslog: its indexed
 * path and its own scan), one warm-up call and `rounds` timed calls each, median ms.
 */
async function w6() {
  const adapter = storeById(task.store).make();
  const indexed = task.store.startsWith("opslog") && !task.noIndexes;
  const t0 = now();
  await adapter.open(task.dir, indexed ? { indexes: OPSLOG_INDEXES } : {});
  const openMs = now() - t0;
  const paths = await adapter.queries(indexed);
  const out = { value: 0, openMs, paths: {}, setup: {}, plans: {} };
  if (adapter.explain) out.explain = adapter.explain();
  const subs = task.subs ?? SUBS;
  await profStart();
  for (const sub of subs) {
    for (const [name, q] of Object.entries(paths)) {
      if (typeof q.setup === "string") out.setup[name] = q.setup;
      if (q.plans) out.plans[name] = q.plans;
      const r = (out.paths[name] ??= {});
      try {
        const result = await q[sub](); // warm-up, and the result every store must agree on
        const rounds = sub === "W6g" ? Math.min(task.rounds, task.pagingRounds ?? 3) : task.rounds;
        const times = [];
        for (let k = 0; k < rounds; k++) {
          const ts = now();
          await q[sub]();
          times.push(now() - ts);
        }
        r[sub] = { value: median(times), rounds: times, result };
      } catch (error) {
        r[sub] = { error: String(error?.message ?? error).split("\n")[0].slice(0, 300) };
      }
    }
  }
  await profStop();
  await adapter.close();
  return out;
}

/** W6h: sequential awaited updates of random records, with opslog's 4 indexes or none. */
async function w6hUpdates() {
  const adapter = storeById(task.store).make();
  await adapter.open(task.dir, { ...(task.indexed ? { indexes: OPSLOG_INDEXES } : {}), ...(task.writeMode ? { writeMode: task.writeMode } : {}) });
  const rnd = prng(task.seed);
  const picks = Array.from({ length: task.updates }, () => Math.floor(rnd() * task.total));
  // New versions move status, priority and due: every index has entries to move.
  const values = picks.map((i, n) => makeRecord(i, task.seed * 100_000 + n));
  for (let k = 0; k < 20; k++) await adapter.set(idOf(picks[k]), values[k]); // warm-up
  const t0 = now();
  const deadline = t0 + task.capMs;
  let n = 20;
  while (n < task.updates && now() < deadline) {
    await adapter.set(idOf(picks[n]), values[n]);
    n++;
  }
  const secs = (now() - t0) / 1000;
  await adapter.close();
  return { value: (n - 20) / secs, updates: n - 20, capped: n < task.updates };
}

/** W6h: open in this fresh process, with the 4 indexes or none, then the first queries. */
async function w6hOpen() {
  const adapter = storeById(task.store).make();
  const t0 = now();
  await adapter.open(task.dir, task.indexed ? { indexes: OPSLOG_INDEXES } : {});
  const openMs = now() - t0;
  const q = adapter.queries(task.indexed);
  const path = task.indexed ? q.index : q.scan;
  const t1 = now();
  const first = path.W6f();
  const firstMs = now() - t1;
  const t2 = now();
  path.W6a();
  const countMs = now() - t2;
  return { value: openMs, openMs, firstMs, firstCountMs: countMs, first, close: () => adapter.close() };
}

/** W8: `updates` sequential single updates of existing records, then close (timed). */
async function w8() {
  const s = await openStore(task.dir);
  const rnd = prng(8);
  const picks = Array.from({ length: task.updates }, () => Math.floor(rnd() * task.total));
  const values = picks.map((i, n) => makeRecord(i, 1000 + n));
  await profStart();
  const t0 = now();
  const deadline = t0 + task.capMs;
  let n = 0;
  let last = -1;
  while (n < task.updates && now() < deadline) {
    const i = picks[n];
    await s.set(idOf(i), values[n]);
    last = i;
    n++;
  }
  const secs = (now() - t0) / 1000;
  const tc = now();
  await s.close();
  const closeMs = now() - tc;
  await profStop();
  // The record updated last carries version 1000 + n - 1 (ids may repeat: the last write wins).
  return { value: n / secs, updates: n, capped: n < task.updates, closeMs, lastUpdatedId: last, lastVersion: 1000 + n - 1 };
}

/** Durability check under strace: markers around every acknowledged write. */
async function verify() {
  fs.rmSync(task.dir, { recursive: true, force: true });
  const s = await openStore(task.dir);
  let next = 0;
  for (let k = 0; k < 20; k++, next++) await s.set(idOf(next), makeRecord(next));
  marker("start");
  if (task.inflight <= 1) {
    for (let k = 0; k < task.acks; k++, next++) {
      marker(`b${k}`);
      await s.set(idOf(next), makeRecord(next));
      marker(`a${k}`);
    }
  } else {
    let issued = 0;
    const base = next;
    const lane = async () => {
      while (issued < task.acks) {
        const k = issued++;
        marker(`b${k}`);
        await s.set(idOf(base + k), makeRecord(base + k));
        marker(`a${k}`);
      }
    };
    await Promise.all(Array.from({ length: task.inflight }, lane));
  }
  marker("end");
  await s.flush?.();
  await s.close();
  return { value: task.acks };
}

/** The machine's limits, measured in the same run. */
async function limits() {
  fs.rmSync(task.dir, { recursive: true, force: true });
  fs.mkdirSync(task.dir, { recursive: true });
  const out = {};
  // Durable small appends: writeSync + fdatasyncSync of 200 bytes, one after another.
  {
    const fd = fs.openSync(`${task.dir}/append.log`, "a");
    const buf = Buffer.from(JSON.stringify(makeRecord(1)) + "\n");
    for (let k = 0; k < 50; k++) {
      fs.writeSync(fd, buf);
      fs.fdatasyncSync(fd);
    }
    const t0 = now();
    let n = 0;
    while (now() - t0 < task.syncMs) {
      fs.writeSync(fd, buf);
      fs.fdatasyncSync(fd);
      n++;
    }
    out.fdatasyncPerSec = n / ((now() - t0) / 1000);
    fs.closeSync(fd);
  }
  if (task.only === "sync") {
    fs.rmSync(task.dir, { recursive: true, force: true });
    return { value: out.fdatasyncPerSec, ...out };
  }
  // Sequential write, 1 MiB chunks, final fsync included.
  {
    const chunk = Buffer.alloc(1 << 20, 0x61);
    const fd = fs.openSync(`${task.dir}/seq.bin`, "w");
    const t0 = now();
    for (let k = 0; k < task.seqMB; k++) fs.writeSync(fd, chunk);
    fs.fsyncSync(fd);
    out.seqWriteMBps = task.seqMB / ((now() - t0) / 1000);
    fs.closeSync(fd);
  }
  // JSON of 200-byte records.
  {
    const recs = Array.from({ length: task.jsonRecords }, (_, i) => makeRecord(i));
    const strs = recs.map((r) => JSON.stringify(r));
    const st = [];
    const pt = [];
    for (let round = 0; round < 5; round++) {
      let t0 = now();
      for (const r of recs) JSON.stringify(r);
      st.push(recs.length / ((now() - t0) / 1000));
      t0 = now();
      for (const s of strs) JSON.parse(s);
      pt.push(strs.length / ((now() - t0) / 1000));
    }
    out.stringifyPerSec = median(st);
    out.parsePerSec = median(pt);
  }
  fs.rmSync(task.dir, { recursive: true, force: true });
  return { value: 0, ...out };
}

const workloads = { limits, W1: w1, W2: w2, W3: w3, W4: w4, W5: w5, W6: w6, W6hupd: w6hUpdates, W6hopen: w6hOpen, W8: w8, verify };

try {
  const fn = workloads[task.workload];
  if (!fn) throw new Error(`unknown workload ${task.workload}`);
  const result = await fn();
  const close = result.close;
  delete result.close;
  report(result);
  if (close) await close();
  process.exit(0);
} catch (error) {
  process.stderr.write(`${task.store} ${task.workload}: ${error?.stack ?? error}\n`);
  process.exit(1);
}
