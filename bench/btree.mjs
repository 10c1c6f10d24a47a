// The ordered index structure at 1,000,000 keys (issue 13): our B+tree with order statistics
// (src/query/btree.ts) at several node widths, against sorted-btree and a sorted array with
// binary search + splice. Keys are index tuples [int value, id string] under a tuple comparator,
// as the index layer uses them.
//
//   npx tsc -p tsconfig.build.json && node --expose-gc bench/btree.mjs [--n 1000000]
//
// Prints a markdown table (copied into bench/btree.md). One process, about 30-60 s.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import SortedBTreeModule from "sorted-btree";
import { BTree } from "../dist/query/btree.js";

const SortedBTree = SortedBTreeModule.default ?? SortedBTreeModule;
const argN = process.argv.indexOf("--n");
const n = argN > 0 ? Number(process.argv[argN + 1]) : 1_000_000;
const valueSpan = 100_000; // values repeat about ten times: the id breaks ties, as in an index
const widths = [32, 64, 128];

setFlagsFromString("--expose-gc");
const gc = globalThis.gc ?? runInNewContext("gc");

/** Deterministic PRNG (mulberry32), so every structure sees the same keys and operations. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let compares = 0;
const compare = (a, b) => {
  compares++;
  const order = a[0] - b[0];
  if (order !== 0) return order;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
};

const rand = random(13);
const makeKey = (prefix, i) => [Math.floor(rand() * valueSpan), prefix + String(i).padStart(7, "0")];
const keys = Array.from({ length: n }, (_, i) => makeKey("r", i)); // random order of values
const updateCount = Math.min(100_000, n);
const fresh = Array.from({ length: updateCount }, (_, i) => makeKey("u", i));
// keys are in random order, so its first keys are a random sample of distinct keys: each update
// deletes one of them and inserts a fresh key, and the size stays n.
const victims = keys.slice(0, updateCount);
const ranges = Array.from({ length: 10_000 }, () => {
  const value = Math.floor(rand() * (valueSpan * 0.99));
  // [value, ""] sorts before every id of `value`: the range is values in [value, value + 1%).
  return [[value, ""], [value + valueSpan / 100, ""]];
});

/**
 * Times by the process's CPU time, not the wall clock: the benchmark machine is shared, and
 * waiting for a core is not the structure's cost. (GC threads count too, alike for all rows.)
 */
function timed(count, run) {
  const start = process.cpuUsage();
  const result = run(count);
  const used = process.cpuUsage(start);
  const ms = (used.user + used.system) / 1000;
  return { perSecond: (count / ms) * 1000, usPerOp: (ms * 1000) / count, result };
}

function heapUsed() {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Builds by random inserts (inserts/s, heap), then updates and 1% range counts at size n. */
function measure(label, structure, opCounts) {
  const before = heapUsed();
  const s = structure();
  compares = 0;
  const inserts = timed(opCounts.size, (count) => {
    for (let i = 0; i < count; i++) s.insert(keys[i]);
  });
  const comparesPerInsert = compares / opCounts.size;
  const heapMB = (heapUsed() - before) / 2 ** 20;
  const updates = timed(opCounts.updates, (count) => {
    for (let i = 0; i < count; i++) {
      s.delete(victims[i]);
      s.insert(fresh[i]);
    }
  });
  let total = 0;
  const counts = timed(opCounts.counts, (count) => {
    for (let i = 0; i < count; i++) total += s.count(ranges[i][0], ranges[i][1]);
  });
  const row = {
    label,
    inserts: inserts.perSecond,
    comparesPerInsert,
    updates: updates.perSecond,
    countUs: counts.usPerOp,
    averageCount: total / opCounts.counts,
    heapMB,
  };
  return row;
}

const ours = (width) => () => {
  const tree = new BTree(compare, width);
  return {
    insert: (k) => tree.insert(k),
    delete: (k) => tree.delete(k),
    count: (lo, hi) => tree.countRange({ key: lo, inclusive: true }, { key: hi, inclusive: false }),
  };
};

const theirs = () => {
  const tree = new SortedBTree(undefined, compare);
  return {
    insert: (k) => tree.set(k, undefined, false),
    delete: (k) => tree.delete(k),
    // No counts in sorted-btree: a count walks the range.
    count: (lo, hi) => tree.forRange(lo, hi, false),
  };
};

function lowerBound(array, key) {
  let low = 0;
  let high = array.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compare(array[mid], key) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** A sorted array: built by one sort (random inserts by splice would take minutes at 1M). */
function sortedArrayRow() {
  const before = heapUsed();
  const array = keys.slice().sort(compare);
  const heapMB = (heapUsed() - before) / 2 ** 20;
  const insert = (k) => array.splice(lowerBound(array, k), 0, k);
  const inserts = timed(2_000, (count) => {
    for (let i = 0; i < count; i++) insert(fresh[fresh.length - 1 - i]);
  });
  const updates = timed(2_000, (count) => {
    for (let i = 0; i < count; i++) {
      array.splice(lowerBound(array, victims[i]), 1);
      insert(fresh[i]);
    }
  });
  let total = 0;
  const counts = timed(10_000, (count) => {
    for (let i = 0; i < count; i++) total += lowerBound(array, ranges[i][1]) - lowerBound(array, ranges[i][0]);
  });
  return {
    label: "sorted array (binary search + splice)",
    inserts: inserts.perSecond,
    comparesPerInsert: Math.log2(n),
    updates: updates.perSecond,
    countUs: counts.usPerOp,
    averageCount: total / 10_000,
    heapMB,
  };
}

/** A small run of every structure first, so that none is measured while the JIT warms up. */
function warmUp() {
  const small = { size: Math.min(20_000, n), updates: Math.min(10_000, n), counts: 100 };
  for (const width of widths) measure("warm-up", ours(width), small);
  measure("warm-up", theirs, small);
}

const started = Date.now();
warmUp();
const rows = [];
for (const width of widths) {
  rows.push(measure(`ours (BTree, node width ${width})`, ours(width), { size: n, updates: updateCount, counts: 10_000 }));
}
rows.push(measure("sorted-btree 2.1 (no counts: walks)", theirs, { size: n, updates: updateCount, counts: 50 }));
rows.push(sortedArrayRow());

const f = (x, digits = 0) => x.toLocaleString("en-US", { maximumFractionDigits: digits });
console.log(`n = ${f(n)} keys [int in 0..${f(valueSpan - 1)}, id], Node ${process.version}\n`);
console.log("| structure | inserts/s (building to n) | compares/insert | updates/s at n | count 1% range | keys counted | heap |");
console.log("|---|---|---|---|---|---|---|");
for (const r of rows) {
  const count = r.countUs >= 1000 ? `${f(r.countUs / 1000, 2)} ms` : `${f(r.countUs, 2)} µs`;
  console.log(
    `| ${r.label} | ${f(r.inserts)} | ${f(r.comparesPerInsert, 1)} | ${f(r.updates)} | ${count} | ${f(r.averageCount)} | ${f(r.heapMB, 1)} MB |`,
  );
}
console.log(`\n(${((Date.now() - started) / 1000).toFixed(1)} s)`);
