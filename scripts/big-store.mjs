// Checks that a 2,000,000-record store loads, checkpoints and reopens (no V8 string limit).
// Needs ~3 GB of memory and a few minutes. Usage: npm run build && node scripts/big-store.mjs
import { Store } from "../dist/index.js";
import fs from "node:fs";
const dir = "/tmp/big2m"; fs.rmSync(dir, { recursive: true, force: true });
const N = 2_000_000;
const record = (i) => ({ name: `user-${i}`, email: `user${i}@example.com`, status: i % 3 === 0 ? "active" : "idle", score: i * 7 % 1000, tags: ["alpha", "beta"], note: "x".repeat(60) });
let t = performance.now();
const s = new Store(); await s.open(dir);
for (let b = 0; b < N; b += 5000) await s.batch(() => { for (let i = b; i < b + 5000; i++) s.set(`k${i}`, record(i)); });
console.log("load", Math.round(performance.now() - t), "ms");
t = performance.now(); await s.compact(); console.log("checkpoint", Math.round(performance.now() - t), "ms");
await s.close();
t = performance.now(); const r = new Store(); await r.open(dir); console.log("reopen", Math.round(performance.now() - t), "ms", r.count(), "records", Math.round(process.memoryUsage().rss / 1e6), "MB");
console.log(JSON.stringify(r.get("k1999999")));
await r.close();
const snaps = fs.readdirSync(dir + "/snapshots").map((f) => [f, fs.statSync(dir + "/snapshots/" + f).size]);
console.log(snaps);
fs.rmSync(dir, { recursive: true, force: true });
