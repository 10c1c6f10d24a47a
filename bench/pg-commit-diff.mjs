// Differential check of opslog_commit: the same random commits (units of 1-3 changes on 5 ids,
// every base kind, deletes, overwrite, marks, `after` behind the head) go to two schemas, one
// made by an older build (whose function takes no p_prev_i), one by this build; every outcome
// must be equal as JSON, this build's outcome ops must equal opslog_ops read back, and the
// state rows and store rows must end equal. Usage (a server from scripts/pg-server.mjs):
//   node /tmp/mk.mjs OLD_DIST URL t old && node /tmp/mk.mjs dist URL t new   # create the stores
//   node bench/pg-commit-diff.mjs URL old new 3000
import pg from "pg";
import { randomUUID } from "node:crypto";
const [url, a, b, n] = process.argv.slice(2);
const c = new pg.Client(url); await c.connect();
const raw = { getTypeParser: () => (t) => t };
let seed = 12345; const rnd = (k) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % k; };
const ids = ["a", "b", "c", "d", "e"].map((x) => JSON.stringify(x));
const vals = ['{"x": 1}', '[1,2]', '"s"', '{"y":{"z":null}}', '3.50'];
let head = 1, mism = 0;
for (let t = 0; t < n; t++) {
  const units = 1 + rnd(4); const unitEnd = [], over = [], op = [], id = [], data = [], kind = [], base = [], meta = [], undo = [];
  for (let u = 0; u < units; u++) {
    const k = 1 + rnd(3);
    for (let j = 0; j < k; j++) {
      const o = rnd(4) === 0 ? "delete" : "set"; op.push(o); id.push(ids[rnd(5)]); data.push(o === "set" ? vals[rnd(5)] : null);
      const kk = "svac"[rnd(4)]; kind.push(kk); base.push(kk === "s" ? Math.max(0, head - rnd(6)) : kk === "v" ? rnd(head + 1) : null);
      meta.push(rnd(5) === 0 ? '{"m":1}' : null); undo.push(rnd(7) === 0 ? 1 : null);
    }
    unitEnd.push(op.length); over.push(rnd(4) === 0);
  }
  const after = Math.max(0, head - rnd(4));
  const cid = JSON.stringify(randomUUID());
  const out = [];
  for (const s of [a, b]) {
    const prevI = id.map((x, i) => { const j = id.lastIndexOf(x, i - 1); return i > 0 && j >= 0 ? j + 1 : null; });
    const extra = s === b ? ",$14" : "";
    const values = [cid, after, unitEnd, over, op, id, data, meta, undo, op.map(() => null), op.map(() => null), kind, base];
    if (s === b) values.push(prevI);
    const r = await c.query({ text: `select ${s}.opslog_commit(1,$1,1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13${extra})`, types: raw, rowMode: "array", values });
    const text = r.rows[0][0];
    if (s === b) {
      const o = JSON.parse(text);
      if (o.ops) {
        const back = (await c.query({ text: `select ${s}.opslog_ops(1, $1, $2)`, types: raw, rowMode: "array", values: [after + 1, o.head] })).rows[0][0];
        if (JSON.stringify(JSON.parse(back)) !== JSON.stringify(o.ops)) { mism++; console.log("OPS DIFFER FROM READBACK", back, text); }
      }
    }
    out.push(JSON.stringify(JSON.parse(text.replace(/\d{16}/g, '"TS"'))));
  }
  if (out[0] !== out[1]) { mism++; if (mism < 4) console.log("MISMATCH", out); }
  head = JSON.parse(out[0]).head;
}
for (const q of ["select seq, op, id, data::text, prev::text, batch, meta::text, undo, commit_id from S.ops order by seq", "select id, value::text, version, created from S.state order by id", "select head, history_bytes from S.stores"]) {
  const [x, y] = await Promise.all([a, b].map(async (s) => JSON.stringify((await c.query({ text: q.replaceAll("S.", s + "."), types: raw, rowMode: "array" })).rows)));
  console.log(q.slice(0, 40), x === y ? "same" : "DIFFERENT");
}
console.log("commits", n, "mismatches", mism, "head", head);
await c.end();
