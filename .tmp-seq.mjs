import { Store } from "/work/main/dist/index.js";
import { postgres } from "/work/main/dist/postgres.js";
import { startPgServer } from "/work/main/scripts/pg-server.mjs";
const s = await startPgServer();
const store = new Store();
await store.open(postgres({ connectionString: s.url, store: "bench" }));
const doc = { title: "x".repeat(150), n: 0, done: false };
for (const [label, inflight] of [["seq", 1], ["64", 64]]) {
  let n = 0; const t = performance.now(); const end = t + 3000;
  const worker = async (w) => { while (performance.now() < end) { await store.set(`k${w}-${n++ % 1000}`, { ...doc, n }); } };
  await Promise.all(Array.from({ length: inflight }, (_, w) => worker(w)));
  console.log(label, Math.round(n / ((performance.now() - t) / 1000)), "writes/s");
}
await store.close();
const pg = (await import("pg")).default;
const c = new pg.Client({ connectionString: s.url }); await c.connect();
await c.query("create table raw(id serial primary key, body json)");
let n = 0; const t = performance.now();
while (performance.now() - t < 3000) { await c.query("insert into raw(body) values ($1)", [JSON.stringify(doc)]); n++; }
console.log("raw seq", Math.round(n / 3), "inserts/s");
await c.end();
s.stop();
