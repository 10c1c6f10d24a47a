// A writer in another process for tests/ui: node writer.mjs <dir|postgres-url> <count> <prefix>
// Prints "ready" once open, then writes <count> records <prefix>0… one by one (with a short
// pause between, so that a follower sees them arrive live), prints "done <seq>" and closes.
import { Store } from "../../dist/index.js";

const [location, countText, prefix] = process.argv.slice(2);
const store = new Store();
await store.open(location);
process.stdout.write("ready\n");
for (let i = 0; i < Number(countText); i++) {
  await store.set(`${prefix}${i}`, { i, from: "writer" }, { meta: { actor: "writer.mjs" } });
  await new Promise((resolve) => setTimeout(resolve, 20));
}
process.stdout.write(`done ${store.stats().seq}\n`);
await store.close();
