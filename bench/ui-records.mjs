// opslog ui: time to the first /api/records page of a large store, paging deep, an id search,
// and keeping the id list current while a writer in another process writes.
//   npx tsc -p tsconfig.build.json && node bench/ui-records.mjs [records=200000]
// Figures, not assertions. The store is written once into /tmp/opslog-ui-bench-<n>.
import { spawn } from "node:child_process";
import { request } from "node:http";
import { Store } from "../dist/index.js";
import { uiBenchStore } from "./lib/ui-store.mjs";

const n = Number(process.argv[2] ?? 200_000);
const dir = `/tmp/opslog-ui-bench-${n}`;
await uiBenchStore(n, dir);

const started = performance.now();
const ui = spawn(process.execPath, ["dist/cli/main.js", "ui", dir, "--port", "0", "--json"], { stdio: ["ignore", "pipe", "inherit"] });
const line = await new Promise((resolve) => { let out = ""; ui.stdout.on("data", (c) => { out += c; if (out.includes("\n")) resolve(JSON.parse(out.split("\n")[0])); }); });
const ready = performance.now() - started;
const get = (path) => new Promise((resolve, reject) => {
  const t = performance.now();
  request({ host: "127.0.0.1", port: line.port, path, headers: { "x-opslog-token": line.token } }, (res) => {
    let text = ""; res.on("data", (c) => (text += c)); res.on("end", () => resolve({ ms: performance.now() - t, json: JSON.parse(text) }));
  }).on("error", reject).end();
});
const rows = [];
const time = async (label, path) => { const { ms, json } = await get(path); rows.push([label, ms.toFixed(1), json.total ?? ""]); return json; };
rows.push(["process start → URL line (open + id list)", ready.toFixed(0), ""]);
await time("first page, offset 0, limit 100", "/api/records?offset=0&limit=100");
await time("second page", "/api/records?offset=100&limit=100");
await time("deep page, offset 150000", `/api/records?offset=${Math.floor(n * 0.75)}&limit=100`);
await time("id search 'k1999' (first, builds its list)", "/api/records?id=k1999&limit=100");
await time("id search 'k1999' (cached)", "/api/records?id=k1999&offset=10&limit=100");
await time("filter status=active (first)", "/api/records?filter=status=active&limit=100");
await time("filter status=active (cached)", "/api/records?filter=status=active&offset=5000&limit=100");
// A writer in another process: the follower's seq moves; the next page refreshes the list.
const writer = spawn(process.execPath, ["-e", `
  import("${process.cwd()}/dist/index.js").then(async ({ Store }) => {
    const s = new Store(); await s.open("${dir}");
    for (let i = 0; i < 10; i++) await s.set("new-" + i, { i });
    await s.batch(() => { for (let i = 0; i < 1000; i++) s.set("bulk-" + i, { i }); });
    await s.close();
  });`], { stdio: "inherit" });
await new Promise((resolve) => writer.on("close", resolve));
await new Promise((resolve) => setTimeout(resolve, 1000));
await time("first page after 1,010 new records (incremental)", "/api/records?offset=0&limit=100");
await time("first page again (current)", "/api/records?offset=0&limit=100");
ui.kill("SIGTERM");
await new Promise((resolve) => ui.on("close", resolve));
// Clean up the writes so that a re-run starts from the same store.
const s = new Store(); await s.open(dir);
await s.batch(() => { for (const id of s.entries().map(([id]) => id).filter((id) => !id.startsWith("k"))) s.delete(id); });
await s.close();
console.log(`opslog ui, ${n} records (${new Date().toISOString()})`);
for (const [label, ms, total] of rows) console.log(`${label.padEnd(52)} ${String(ms).padStart(8)} ms  ${total}`);
