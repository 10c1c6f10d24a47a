// A reader process for tests/contract/readers-multiprocess.test.ts:
//   node history-reader.mjs <dir> <stopFile>
// Until stopFile exists: opens the store read-only, reads its history (getOps(), getOps(seq),
// at(recent seq), the ops() iterator) and checks what it read, then closes. Prints one JSON
// line: {"reads": n, "skips": n, "failures": n, "messages": [the first 10]}, where skips counts
// iterations that went on past history the writer pruned while they ran.
import { existsSync } from "node:fs";
import { Store } from "../../dist/index.js";

const [dir, stopFile] = process.argv.slice(2);
let reads = 0;
let skips = 0;
let failures = 0;
const messages = [];

function check(condition, what) {
  if (!condition) throw new Error(`inconsistent read: ${what}`);
}

async function readOnce() {
  const store = new Store();
  await store.open(dir, { readOnly: true });
  try {
    const seq = store.stats().seq;
    const all = store.getOps();
    check(all.length > 0 && all.at(-1).seq === seq, `getOps() ends at seq ${seq}`);
    all.forEach((op, index) => check(op.seq === all[0].seq + index, "getOps() is contiguous"));
    const since = Math.max(all[0].seq, seq - 40);
    const later = store.getOps(since);
    check(later.length === seq - since && later[0].seq === since + 1, "getOps(seq)");
    const point = Math.max(all[0].seq, seq - 10);
    const view = await store.at(point);
    check(view.seq <= point && view.seq >= point - 3, `at(${point}) shows seq ${view.seq}`);
    check(view.get("fixed") !== undefined, "at() shows the record 'fixed'");
    // The iterator may find that the writer pruned segments it had not reached yet: it goes on
    // from the reader's new oldest operation, so a gap is allowed only where history was pruned.
    let last;
    for await (const op of store.ops()) {
      if (last !== undefined && op.seq !== last + 1) {
        const stats = store.stats();
        check(op.seq > last && stats.seq - stats.historyOps + 1 > last + 1, "ops() skips only pruned history");
        skips++;
      }
      last = op.seq;
    }
    check(last === seq, `ops() ends at seq ${seq}`);
  } finally {
    await store.close();
  }
}

while (!existsSync(stopFile)) {
  try {
    await readOnce();
    reads++;
  } catch (error) {
    failures++;
    if (messages.length < 10) messages.push(`${error?.code ?? "no code"}: ${error?.message ?? error}`);
  }
}
process.stdout.write(`${JSON.stringify({ reads, skips, failures, messages })}\n`);
