// Figures for the history issue: time of at() N operations back on a 100,000-record store, and
// disk bytes of history for a 1 KB record updated 10,000 times one field at a time, with and
// without reverse deltas. Usage: npm run build && node scripts/history-figures.mjs
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Store } from "../dist/index.js";
import { encodeLine } from "../dist/storage/fs/log-format.js";
import { toLogRecord } from "../dist/storage/fs/log-record.js";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "opslog-history-"));
const record = (i) => ({ name: `user-${i}`, email: `user${i}@example.com`, status: "idle", score: i % 1000, note: "x".repeat(100) });
const du = (dir) => fs.readdirSync(dir, { recursive: true }).reduce((sum, f) => {
  const st = fs.statSync(path.join(dir, f));
  return st.isFile() ? sum + st.size : sum;
}, 0);

async function timeTravel() {
  const store = new Store();
  await store.open(path.join(root, "travel"));
  for (let b = 0; b < 100_000; b += 1000) {
    await store.batch(() => { for (let i = b; i < b + 1000; i++) store.set(`k${i}`, record(i)); });
  }
  for (let b = 0; b < 20_000; b += 100) {
    await store.batch(() => { for (let i = b; i < b + 100; i++) store.set(`k${(i * 7) % 100_000}`, { ...record(i), status: "busy" }); });
  }
  await store.close();
  const reopened = new Store();
  await reopened.open(path.join(root, "travel"));
  const last = reopened.stats().seq;
  const rows = [];
  for (const back of [1_000, 10_000, 100_000]) {
    const start = performance.now();
    const view = await reopened.at(last - back);
    rows.push({ back, ms: Math.round(performance.now() - start), records: view.count(), seq: view.seq });
  }
  await reopened.close();
  return { records: 100_000, ops: last, rows };
}

async function deltas() {
  const dir = path.join(root, "deltas");
  const store = new Store();
  await store.open(dir, { checkpointThreshold: 0, checkpointOnClose: false });
  const fields = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`field${i}`, "v".repeat(40)]));
  let doc = { id: "doc", ...fields };
  await store.set("doc", doc);
  for (let i = 0; i < 10_000; i++) {
    doc = { ...doc, [`field${i % 20}`]: `${i}`.padEnd(40, "w") };
    await store.set("doc", doc);
  }
  const recordBytes = JSON.stringify(doc).length;
  // Log bytes of the same operations as the writer encodes them (with deltas) and with every
  // prev written in full (the format without deltas); before any compression.
  let withDeltas = 0;
  let withoutDeltas = 0;
  for (const op of store.getOps()) {
    withDeltas += Buffer.byteLength(encodeLine(toLogRecord(op, op.seq, undefined)));
    withoutDeltas += Buffer.byteLength(encodeLine({ seq: op.seq, ts: op.ts, g: op.seq, op: op.op, id: op.id, data: op.data, prev: op.prev }));
  }
  const onDisk = du(path.join(dir, "ops"));
  await store.compact();
  const compressed = du(path.join(dir, "ops"));
  await store.close();
  return {
    recordBytes,
    updates: 10_000,
    withDeltas,
    withoutDeltas,
    ratio: +(withoutDeltas / withDeltas).toFixed(2),
    onDiskBeforeCompact: onDisk, // sealed 8 MiB segments are already gzipped
    onDiskAfterCompact: compressed,
  };
}

const out = { timeTravel: await timeTravel(), deltas: await deltas() };
console.log(JSON.stringify(out, null, 2));
fs.rmSync(root, { recursive: true, force: true });
