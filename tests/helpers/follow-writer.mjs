// A writer process for tests/contract/follower-multiprocess.test.ts and bench/follow-latency.mjs:
//   node follow-writer.mjs <dir> <count|forever> <checkpointThreshold> <retainOps|all> [startAt]
// Writes `count` operations (sets, deletes, 3-record batches, an undo now and then) with the
// given checkpoint threshold and retention, prints "done <seq>" and closes. With "forever" it
// writes until killed, printing "seq <n>" after every 100 acknowledged writes.
import { Store } from "../../dist/index.js";

const [dir, countText, thresholdText, retainText, startText] = process.argv.slice(2);
const forever = countText === "forever";
const count = forever ? Infinity : Number(countText);
const retain = retainText === "all" ? "all" : { ops: Number(retainText) };
const store = new Store();
await store.open(dir, { checkpointThreshold: Number(thresholdText), retain });
process.stdout.write("ready\n");
const pad = "p".repeat(100);
let i = Number(startText ?? 0);
for (let n = 0; n < count; n++, i++) {
  const pending = [];
  if (i % 11 === 10) {
    pending.push(store.batch(() => {
      for (let b = 0; b < 3; b++) void store.set(`b${(i + b) % 20}`, { i, b, nested: { z: 1, a: [i] } });
    }));
  } else if (i % 7 === 6 && store.has(`k${i % 40}`)) {
    pending.push(store.delete(`k${i % 40}`, { meta: { why: "test" } }));
  } else if (i % 97 === 96) {
    pending.push(store.undo());
  } else {
    pending.push(store.set(`k${i % 40}`, { i, pad }));
  }
  // Some writes in flight together, so write groups hold several operations.
  if (i % 5 !== 4) void pending[0].catch(() => undefined);
  else await Promise.all(pending);
  if (forever && n % 100 === 99) process.stdout.write(`seq ${store.stats().seq}\n`);
}
await store.flush();
process.stdout.write(`done ${store.stats().seq}\n`);
await store.close();
