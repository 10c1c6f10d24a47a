// A writer process for tests/property/indexes-followers.test.ts:
//   node index-writer.mjs <dir> <count> <checkpointThreshold> <retainOps> <seed>
// Writes `count` random changes of documents with the indexed fields of
// tests/helpers/index-check.ts (sets, deletes, batches, undo, redo, compact), declaring the same
// indexes (a set that would duplicate a unique email is refused at the call and skipped).
// Prints "ready" once open, "done <seq>" at the end, then closes.
import { writeFileSync } from "node:fs";
import { Store } from "../../dist/index.js";

const [dir, countText, thresholdText, retainText, seedText] = process.argv.slice(2);
let seed = Number(seedText) >>> 0 || 1;
const random = () => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
const pick = (list) => list[Math.floor(random() * list.length)];
// The declarations of tests/helpers/index-check.ts, handed over by the test (one source).
const indexes = JSON.parse(process.env.INDEX_DECLARED ?? "{}");
const ids = Array.from({ length: 30 }, (_, i) => `k${i}`);
function doc() {
  const d = {};
  if (random() < 0.8) d.status = pick(["open", "done", "wip", null, 3, true]);
  if (random() < 0.8) d.priority = random() < 0.2 ? [pick([1, 2]), pick([3, 9])] : Math.floor(random() * 11);
  if (random() < 0.6) d.owner = random() < 0.2 ? [{ id: 1 }, { id: pick([2, 3]) }] : { id: Math.floor(random() * 5) };
  if (random() < 0.5) d.tags = Array.from({ length: Math.floor(random() * 3) }, () => pick(["x", "y", "z"]));
  if (random() < 0.6) d.due = random() < 0.1 ? null : Math.floor(random() * 20);
  if (random() < 0.3) d.email = `${Math.floor(random() * 1000)}@x`;
  return d;
}
const store = new Store();
await store.open(dir, { indexes, checkpointThreshold: Number(thresholdText), retain: { ops: Number(retainText) } });
process.stdout.write("ready\n");
const skip = (error) => {
  if (error?.code !== "OPSLOG_UNIQUE" && error?.code !== "OPSLOG_CONFLICT") throw error;
};
for (let n = 0; n < Number(countText); n++) {
  const r = random();
  try {
    if (r < 0.55) await store.set(pick(ids), doc());
    else if (r < 0.7) {
      const id = pick(ids);
      if (store.has(id)) await store.delete(id);
    } else if (r < 0.85) {
      await store.batch(() => {
        for (let b = 0; b < 3; b++) void store.set(pick(ids), doc());
      });
    } else if (r < 0.93) await store.undo();
    else if (r < 0.98) await store.redo();
    else await store.compact();
  } catch (error) {
    skip(error);
  }
}
await store.flush();
process.stdout.write(`done ${store.stats().seq}\n`);
// A reader whose event loop is blocked cannot see stdout: it looks for this file.
if (process.env.INDEX_WRITER_DONE) writeFileSync(process.env.INDEX_WRITER_DONE, "done");
await store.close();
