// A writer process for tests/contract/readers-multiprocess.test.ts:
//   node checkpointing-writer.mjs <dir> <durationMs>
// Writes without pause for durationMs with a small checkpoint threshold and a retention limit,
// so that it seals, snapshots, compresses and prunes many times while readers read. Prints
// "ready" once the store has history, then "done <seq> <snapshots seen>" after closing.
import { readdirSync } from "node:fs";
import path from "node:path";
import { Store } from "../../dist/index.js";

const [dir, durationText] = process.argv.slice(2);
const durationMs = Number(durationText);
const store = new Store();
await store.open(dir, { checkpointThreshold: 50, retain: { ops: 300 } });
const pad = "p".repeat(200);
let i = 0;

/** `count` writes issued together (sets, deletes and 3-record batches), then "fixed". */
async function writeSome(count) {
  const pending = [];
  for (let k = 0; k < count; k++, i++) {
    if (i % 13 === 12) {
      pending.push(store.batch(() => {
        for (let b = 0; b < 3; b++) void store.set(`b${(i + b) % 40}`, { i, b, pad });
      }));
    } else if (i % 7 === 6 && store.has(`k${i % 100}`)) {
      pending.push(store.delete(`k${i % 100}`));
    } else {
      pending.push(store.set(`k${i % 100}`, { i, pad }));
    }
  }
  pending.push(store.set("fixed", { i })); // Never deleted: `get fixed` always finds it.
  await Promise.all(pending);
}

await writeSome(400);
process.stdout.write("ready\n");
const snapshots = new Set();
const end = Date.now() + durationMs;
while (Date.now() < end) {
  await writeSome(10);
  for (const name of readdirSync(path.join(dir, "snapshots"))) snapshots.add(name);
}
const seq = store.stats().seq;
await store.close();
process.stdout.write(`done ${seq} ${snapshots.size}\n`);
