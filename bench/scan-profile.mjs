// Plain scans over warm records: count(predicate) and filter(predicate) of this build (dist/)
// against the original opslog, in one process run, on the same 200,000 records.
//
//   npx tsc -p tsconfig.build.json && node bench/scan-profile.mjs [records] [rounds]
//
// "Warm": the store was reopened from its files (records kept as snapshot text) and every
// record was read once, so a scan parses nothing; what is left is the cost of handing out
// records. The view rows scan store.at(seq) the same way.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Store as OrigStore } from "@backloghq/opslog";
// OPSLOG_SCAN_MODULE=path/to/index.js measures another build (for example the one before a change).
const { Store } = await import(process.env.OPSLOG_SCAN_MODULE ?? "../dist/index.js");
import { filterPredicate, idOf, makeRecord, median } from "./lib/records.mjs";

const total = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 15);
const now = () => performance.now();

async function fill(store, dir, options) {
  await store.open(dir, options);
  for (let i = 0; i < total; i += 10_000) {
    await store.batch(() => {
      for (let j = i; j < Math.min(total, i + 10_000); j++) store.set(idOf(j), makeRecord(j));
    });
  }
  await store.close();
}

/** Median wall time and median CPU time (this process, all threads) of `rounds` calls. The CPU
 * time is the steadier figure on a shared machine: it leaves out the time others ran. */
function timed(label, fn) {
  const times = [];
  const cpu = [];
  let result;
  for (let round = 0; round < rounds; round++) {
    const t0 = now();
    const c0 = process.cpuUsage();
    result = fn();
    const c = process.cpuUsage(c0);
    times.push(now() - t0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { label, ms: median(times), cpuMs: median(cpu), result };
}

function row({ label, ms, cpuMs, result }) {
  const shown = Array.isArray(result) ? `${result.length} found` : `${result} counted`;
  const figures = `${ms.toFixed(2).padStart(8)} ms wall ${cpuMs.toFixed(2).padStart(8)} ms cpu`;
  console.log(`${label.padEnd(32)} ${figures}  (${shown})`);
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), "opslog-scan-"));
try {
  const ours = path.join(root, "ours");
  const orig = path.join(root, "orig");
  await fill(new Store(), ours, {});
  await fill(new OrigStore(), orig, { checkpointThreshold: Number.MAX_SAFE_INTEGER });

  const a = new Store();
  await a.open(ours, { readOnly: true });
  const b = new OrigStore();
  await b.open(orig, { readOnly: true });
  const t0 = now();
  a.count(filterPredicate);
  console.log(`opslog first scan (parses)          ${(now() - t0).toFixed(2).padStart(8)} ms`);
  const view = await a.at(a.stats().seq);
  view.count(() => true);

  console.log(`${total} warm records, median of ${rounds} rounds`);
  for (let pass = 0; pass < 2; pass++) {
    // Interleaved, twice: the second pass runs with every function already optimised.
    const rows = [
      timed("opslog count(predicate)", () => a.count(filterPredicate)),
      timed("original count(predicate)", () => b.count(filterPredicate)),
      timed("opslog filter(predicate)", () => a.filter(filterPredicate)),
      timed("original filter(predicate)", () => b.filter(filterPredicate)),
      timed("opslog view count(predicate)", () => view.count(filterPredicate)),
      timed("opslog view filter(predicate)", () => view.filter(filterPredicate)),
      timed("opslog all()", () => a.all()),
      timed("original all()", () => b.all()),
    ];
    if (pass === 1) rows.forEach(row);
  }
  await a.close();
  await b.close();
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
