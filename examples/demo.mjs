// A short tour of opslog: set, batch, undo, history, reopen, queries. Run with `npm run demo`.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Store } from "opslog";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "opslog-demo-"));
const show = (label, value) => console.log(`${label.padEnd(28)} ${JSON.stringify(value)}`);

const store = new Store();
await store.open(dir);
// The change feed: each operation once it is durable, in seq order (ends at close()).
const feed = (async () => {
  for await (const op of store.watch()) console.log(`${"  watch() saw".padEnd(28)} #${op.seq} ${op.op} ${op.id}`);
})();
await store.set("task-1", { title: "Write the README", status: "todo" }, { meta: { actor: "ann" } });
await store.set("task-2", { title: "Ship 1.0", status: "todo" });
show("after two sets", store.all());

await store.batch(() => {
  store.set("task-1", { title: "Write the README", status: "done" });
  store.delete("task-2");
});
show("after a batch", store.entries());

await store.undo(); // The whole batch is reverted, as one unit, by logged compensations.
show("after undo", store.entries());

show("history of task-1", store.getHistory("task-1").map((op) => ({ seq: op.seq, op: op.op, data: op.data, meta: op.meta })));
await new Promise((resolve) => setImmediate(resolve)); // Let the feed catch up: close() ends it.
await store.close();
await feed;

const again = new Store();
// Indexes are declared at open and built from the records; find() uses them.
await again.open(dir, { indexes: { status: {}, byStatusDue: { on: ["status", "due"] } } });
show("after reopening", again.entries());
await again.batch(() => {
  for (let i = 3; i <= 8; i++) again.set(`task-${i}`, { title: `Task ${i}`, status: i % 2 ? "todo" : "done", due: 10 - i });
});
const page = again.find({ where: { status: "todo" }, sort: { due: 1 }, limit: 2 });
show("find todo by due, 2", page.ids);
show("the next page", again.find({ where: { status: "todo" }, sort: { due: 1 }, limit: 2, after: page.next }).ids);
show("count({ status: \"done\" })", again.count({ status: "done" }));
const plan = again.explain({ where: { status: "todo" }, sort: { due: 1 }, limit: 2 });
show("explain()", { index: plan.index, order: plan.order, examined: plan.examined });
show("stats", again.stats());
await again.close();

console.log(`\nThe data is plain, checksummed JSON lines in ${dir}:`);
for (const file of fs.readdirSync(dir, { recursive: true }).sort()) console.log(`  ${file}`);
fs.rmSync(dir, { recursive: true, force: true });
