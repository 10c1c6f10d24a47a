// Small figures script for the core store (issue 2): durable write rates, bulk load, cold open,
// each beside the machine's raw fdatasync rate. Usage: npm run build && node scripts/figures.mjs
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { Store } from "../dist/index.js";

const records = Number(process.env.RECORDS ?? 200_000);
const root = fs.mkdtempSync(path.join(os.tmpdir(), "opslog-figures-"));
const record = (i) => ({
  name: `user-${i}`,
  email: `user${i}@example.com`,
  status: i % 3 === 0 ? "active" : "idle",
  score: i * 7 % 1000,
  tags: ["alpha", "beta", "gamma"].slice(0, 1 + (i % 3)),
  note: "x".repeat(60),
});

function rawSyncRate(seconds = 1) {
  const fd = fs.openSync(path.join(root, "raw"), "w");
  const buf = Buffer.alloc(200, 97);
  let n = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    fs.writeSync(fd, buf);
    fs.fdatasyncSync(fd);
    n++;
  }
  fs.closeSync(fd);
  return n / seconds;
}

async function sequential(seconds = 2) {
  const s = new Store();
  await s.open(path.join(root, "w1"));
  let n = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) await s.set(`k${n}`, record(n++));
  await s.close();
  return n / seconds;
}

async function inFlight(total = 20_000, width = 64) {
  const s = new Store();
  await s.open(path.join(root, "w2"));
  const start = performance.now();
  let next = 0;
  async function worker() {
    while (next < total) {
      const i = next++;
      await s.set(`k${i}`, record(i));
    }
  }
  await Promise.all(Array.from({ length: width }, worker));
  const ms = performance.now() - start;
  await s.close();
  return total / (ms / 1000);
}

async function bulk(name, options) {
  const s = new Store();
  await s.open(path.join(root, name), options);
  const start = performance.now();
  for (let b = 0; b < records; b += 1000) {
    await s.batch(() => {
      for (let i = b; i < Math.min(records, b + 1000); i++) s.set(`k${i}`, record(i));
    });
  }
  const ms = performance.now() - start;
  await s.close();
  return records / (ms / 1000);
}

function coldOpen(name) {
  const code = `import { Store } from ${JSON.stringify(path.resolve("dist/index.js"))};
const t = performance.now(); const s = new Store(); await s.open(${JSON.stringify(path.join(root, name))});
const ms = performance.now() - t; const rss = process.memoryUsage().rss;
console.log(JSON.stringify({ ms, rss, n: s.count() })); await s.close();`;
  return JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", code]).toString());
}

const du = (name) => {
  let total = 0;
  for (const f of fs.readdirSync(path.join(root, name), { recursive: true })) {
    const st = fs.statSync(path.join(root, name, f));
    if (st.isFile()) total += st.size;
  }
  return total;
};

const out = {};
out.rawFdatasyncPerSec = Math.round(rawSyncRate());
out.sequentialSetPerSec = Math.round(await sequential());
out.inFlight64SetPerSec = Math.round(await inFlight());
// Interleaved rounds, medians: the two variants see the same machine conditions.
const rounds = { default: [], off: [] };
for (let round = 0; round < 3; round++) {
  const suffix = round === 2 ? "" : `-${round}`;
  rounds.default.push(Math.round(await bulk(`bulk-default${suffix}`, {})));
  rounds.off.push(Math.round(await bulk(`bulk-off${suffix}`, { checkpointThreshold: 0, checkpointOnClose: false })));
}
const median = (values) => [...values].sort((a, b) => a - b)[1];
out.bulkDefaultRecPerSec = rounds.default;
out.bulkNoCheckpointRecPerSec = rounds.off;
out.bulkDefaultOverOffMedianRatio = +(median(rounds.default) / median(rounds.off)).toFixed(2);
out.coldOpenDefault = coldOpen("bulk-default");
out.coldOpenNoCheckpoint = coldOpen("bulk-off");
out.diskBytesDefault = du("bulk-default");
console.log(JSON.stringify(out, null, 2));
fs.rmSync(root, { recursive: true, force: true });
