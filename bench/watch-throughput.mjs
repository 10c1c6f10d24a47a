// In-process change-feed throughput during W2 (issue 11): W2's load (10,000 writes, 64 in
// flight, ~200-byte records) against the same build three ways in one process run, alternating
// rounds: without a feed, with one `store.watch()` consumer, and with a `store.subscribe()`
// listener. Reports writes/s of each and the feed's operations delivered per second (first
// write issued to last operation delivered), and checks that the feed saw every write, in order.
//
//   node bench/watch-throughput.mjs [--rounds 5] [--total 10000] [--inflight 64]
//   OPSLOG_BENCH_MODULE=path/to/index.js  measures another build (default: dist/index.js)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { idOf, makeRecord } from "./lib/records.mjs";

const { values } = parseArgs({
  options: { rounds: { type: "string", default: "5" }, total: { type: "string", default: "10000" }, inflight: { type: "string", default: "64" } },
});
const rounds = Number(values.rounds);
const total = Number(values.total);
const inflight = Number(values.inflight);
const modulePath = path.resolve(process.env.OPSLOG_BENCH_MODULE ?? new URL("../dist/index.js", import.meta.url).pathname);
const { Store } = await import(pathToFileURL(modulePath).href);

async function round(kind) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "opslog-watch-"));
  const store = new Store();
  await store.open(dir);
  for (let k = 0; k < 50; k++) await store.set(idOf(k), makeRecord(k));
  const base = 50;
  const records = Array.from({ length: total }, (_, k) => makeRecord(base + k));
  let delivered = 0;
  let lastSeq = 50;
  let outOfOrder = 0;
  let lastAt = 0;
  const see = (op) => {
    if (op.seq !== lastSeq + 1) outOfOrder++;
    lastSeq = op.seq;
    delivered++;
    lastAt = performance.now();
  };
  const controller = new AbortController();
  let feedDone = Promise.resolve();
  if (kind === "watch") {
    const feed = store.watch({ signal: controller.signal });
    feedDone = (async () => {
      for await (const op of feed) see(op);
    })();
  }
  const stop = kind === "subscribe" ? store.subscribe(see) : () => undefined;
  let issued = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (issued < total) {
      const k = issued++;
      await store.set(idOf(base + k), records[k]);
    }
  };
  await Promise.all(Array.from({ length: inflight }, lane));
  const writeSecs = (performance.now() - t0) / 1000;
  while (kind !== "none" && delivered < total && performance.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 1));
  const feedSecs = (lastAt - t0) / 1000;
  stop();
  controller.abort();
  await feedDone;
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
  if (kind !== "none" && (delivered !== total || outOfOrder !== 0)) {
    throw new Error(`${kind}: delivered ${delivered} of ${total}, ${outOfOrder} out of order`);
  }
  return { writes: total / writeSecs, delivered: kind === "none" ? undefined : delivered / feedSecs };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = { none: [], watch: [], subscribe: [] };
for (let r = 0; r < rounds; r++) for (const kind of Object.keys(results)) results[kind].push(await round(kind));
const fmt = (n) => Math.round(n).toLocaleString("en-US");
console.log(`W2 load: ${total} writes, ${inflight} in flight, ${rounds} alternating rounds, median (node ${process.version})`);
const plain = median(results.none.map((x) => x.writes));
for (const [kind, runs] of Object.entries(results)) {
  const writes = median(runs.map((x) => x.writes));
  const feed = kind === "none" ? "" : `, feed delivered ${fmt(median(runs.map((x) => x.delivered)))} ops/s`;
  console.log(`${kind.padEnd(9)} writes ${fmt(writes)}/s (${(writes / plain).toFixed(2)}x of no feed)${feed}`);
}
