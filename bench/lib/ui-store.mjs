// The store both ui benchmarks read (bench/ui-records.mjs, bench/ui.mjs): n records of about
// 120 bytes, written once into `dir` in batches of 5,000 and compacted.
import fs from "node:fs";
import { Store } from "../../dist/index.js";

export async function uiBenchStore(n, dir) {
  if (fs.existsSync(dir)) return;
  const store = new Store();
  await store.open(dir);
  const record = (i) => ({ name: `user-${i}`, email: `user${i}@example.com`, status: i % 3 ? "idle" : "active", score: (i * 7) % 1000, tags: ["alpha", "beta"] });
  for (let b = 0; b < n; b += 5000) await store.batch(() => { for (let i = b; i < Math.min(n, b + 5000); i++) store.set(`k${i}`, record(i)); });
  await store.compact();
  await store.close();
}
