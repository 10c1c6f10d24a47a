// A writer whose fdatasync takes `syncMs` (a synchronous sleep before the real one), for
// tests/regression/follower-before-durable.test.ts:
//   node slow-sync-writer.mjs <dir> <count> <syncMs>
// Prints "ready" once open, then "acked <seq> <epoch ms>" when each set() resolves.
import { NodeFileSystem, Store } from "../../dist/index.js";

const [dir, countText, syncText] = process.argv.slice(2);
const pause = new Int32Array(new SharedArrayBuffer(4));
let slow = false;

class SlowSync extends NodeFileSystem {
  fdatasync(fd) {
    if (slow) Atomics.wait(pause, 0, 0, Number(syncText));
    super.fdatasync(fd);
  }
}

const store = new Store();
await store.open(dir, { fileSystem: new SlowSync(), checkpointOnClose: false });
process.stdout.write("ready\n");
await new Promise((resolve) => process.stdin.once("data", resolve)); // The follower is watching.
slow = true;
for (let i = 1; i <= Number(countText); i++) {
  await store.set(`k${i}`, { i });
  process.stdout.write(`acked ${store.stats().seq} ${Date.now()}\n`);
}
slow = false;
await store.close();
process.stdout.write("closed\n");
