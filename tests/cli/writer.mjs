// A separate writer process for the `log --follow` and concurrent-read tests:
// node writer.mjs <dir> <count> <intervalMs> — sets w1…w<count> one by one, then closes.
// No checkpoint on close: until the engine keeps history across checkpoints (the history
// issue), a checkpoint between two polls of a follower hides operations from it.
import { Store } from "../../dist/index.js";

const [dir, countText, intervalText] = process.argv.slice(2);
const count = Number(countText);
const interval = Number(intervalText);
const store = new Store();
await store.open(dir, { checkpointOnClose: false });
process.stdout.write("open\n");
for (let index = 1; index <= count; index++) {
  await store.set(`w${index}`, { index, by: "writer" }, { meta: { actor: "writer" } });
  await new Promise((resolve) => setTimeout(resolve, interval));
}
await store.close();
process.stdout.write("done\n");
