// W6 (issue 13): the query table, W6h, the targets, and what every store does.
import { num } from "./report.mjs";
import { Q, SUBS, OPSLOG_INDEXES } from "./queries.mjs";

/** The W6 columns: opslog's two paths first, then the peers that have a query path. */
function columns(rows) {
  const cols = [];
  const o = rows.find((r) => r.id === "opslog");
  if (o) {
    cols.push({ head: "opslog, indexes (find/count)", row: o, key: (w) => w });
    cols.push({ head: "opslog, own scan (filter/count + JS sort)", row: o, key: (w) => `${w}-scan` });
  }
  for (const r of rows) {
    if (r.id === "opslog" || !SUBS.some((w) => r.results[w])) continue;
    cols.push({ head: r.id === "opslog-baseline" ? r.label : r.label.replace(/ \(.*/, ""), row: r, key: (w) => w });
  }
  return cols;
}

const val = (row, key) => {
  const r = row?.results[key];
  return r && !r.error ? r.value : undefined;
};

function ratioText(x) {
  if (x === undefined || !Number.isFinite(x)) return "—";
  return x >= 100 ? x.toFixed(0) + "×" : x >= 10 ? x.toFixed(1) + "×" : x.toFixed(2) + "×";
}

/** A result that disagrees with opslog's own scan (the reference) is flagged. */
function agrees(a, b) {
  if (!a || !b) return true;
  return a.n === b.n && a.first === b.first && a.last === b.last;
}

export function w6Table(rows) {
  const cols = columns(rows);
  if (cols.length === 0) return "_W6 not measured_";
  const o = rows.find((r) => r.id === "opslog");
  const head = ["workload", "result", ...cols.map((c) => c.head)];
  const lines = [`| ${head.join(" | ")} |`, `|---|---:|${cols.map(() => "---:").join("|")}|`];
  for (const w of SUBS) {
    const ref = o?.results[`${w}-scan`]?.result ?? cols.map((c) => c.row.results[c.key(w)]?.result).find(Boolean);
    const base = val(o, w);
    const cells = cols.map((c, k) => {
      const r = c.row.results[c.key(w)];
      if (!r) return "—";
      if (r.error) return "error";
      const mark = agrees(r.result, ref) ? "" : " ≠";
      return `${num(r.value)}${mark}${k === 0 || base === undefined ? "" : ` (${ratioText(r.value / base)})`}`;
    });
    const n = ref?.n;
    lines.push(`| ${w}: ${Q[w].what} | ${n === undefined ? "—" : n.toLocaleString("en-US")} | ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

function w6hTable(o) {
  if (!o || !o.results["W6hupd-none"]) return "_W6h not measured_";
  const r = (k) => val(o, k);
  const pair = (a, b, unit) => `${num(r(a))} | ${num(r(b))} | ${ratioText(r(b) / r(a))} | ${unit}`;
  return [
    "| W6h | no indexes | 4 indexes | with ÷ without | unit |",
    "|---|---:|---:|---:|---|",
    `| sequential awaited updates, default durable mode (immediate) | ${pair("W6hupd-none", "W6hupd-idx", "upd/s")} |`,
    `| the same, \`writeMode: "async"\` (no sync: the CPU cost of the indexes shows) | ${pair("W6hupd-noneAsync", "W6hupd-idxAsync", "upd/s")} |`,
    `| cold open (fresh process) | ${pair("W6hopen-none", "W6hopen-idx", "ms")} |`,
    `| first W6f query after open (no indexes: the scan) | ${pair("W6hfirst-none", "W6hfirst-idx", "ms")} |`,
    `| first W6a count after it (no indexes: the scan) | ${pair("W6hcount-none", "W6hcount-idx", "ms")} |`,
  ].join("\n");
}

/** The issue's W6 targets, within this run. */
export function w6Targets(rows) {
  const o = rows.find((r) => r.id === "opslog");
  if (!o || !SUBS.some((w) => o.results[w])) return [];
  const list = [];
  const add = (name, measured, need, met) => list.push({ name, measured, need, met });
  for (const [w, k] of [["W6b", 100], ["W6c", 5], ["W6d", 100], ["W6e", 100], ["W6f", 100], ["W6g", 100]]) {
    const idx = val(o, w);
    const scan = val(o, `${w}-scan`);
    const x = idx === undefined || scan === undefined ? undefined : scan / idx;
    add(`${w} ≥ ${k}× opslog's own scan`, `${num(scan)} ms scan ÷ ${num(idx)} ms indexed = ${ratioText(x)}`, `≥ ${k}×`, x === undefined ? undefined : x >= k);
  }
  const peers = rows.filter((r) => !r.id.startsWith("opslog") && val(r, "W6a") !== undefined);
  const fastest = peers.sort((a, b) => val(a, "W6a") - val(b, "W6a"))[0];
  const a = val(o, "W6a");
  const xa = fastest && a !== undefined ? val(fastest, "W6a") / a : undefined;
  add("W6a ≥ 10× the fastest peer", fastest ? `${num(val(fastest, "W6a"))} ms (${fastest.label}) ÷ ${num(a)} ms = ${ratioText(xa)}` : "no peer measured", "≥ 10×", xa === undefined ? undefined : xa >= 10);
  const u = val(o, "W6hupd-idx") / val(o, "W6hupd-none");
  add("W6h updates with 4 indexes ≥ 0.8× without (durable default)", `${num(val(o, "W6hupd-idx"))} ÷ ${num(val(o, "W6hupd-none"))} upd/s = ${ratioText(u)}`, "≥ 0.80×", Number.isFinite(u) ? u >= 0.8 : undefined);
  const f = val(o, "W6hfirst-idx");
  add("first query after open (W6f, 4 indexes) ≤ 50 ms", `${num(f)} ms (open ${num(val(o, "W6hopen-idx"))} ms with indexes, ${num(val(o, "W6hopen-none"))} ms without)`, "≤ 50 ms", f === undefined ? undefined : f <= 50);
  return list;
}

function targetLines(list) {
  const lines = ["| target | measured | needed | result |", "|---|---|---|---|"];
  for (const t of list) lines.push(`| ${t.name} | ${t.measured} | ${t.need} | ${t.met === undefined ? "not measured" : t.met ? "met" : "**missed**"} |`);
  return lines.join("\n");
}

/** What each store does for W6: indexes, query path, SQLite's plans, opslog's explain(). */
function whatEachDoes(rows) {
  const lines = [];
  const o = rows.find((r) => r.id === "opslog");
  const idx = Object.entries(OPSLOG_INDEXES).map(([n, d]) => (d.on ? `${n} on [${d.on.join(", ")}]` : n)).join(", ");
  lines.push(`- **opslog, indexes**: \`open(dir, { indexes })\` with ${idx}; \`count(where)\` and \`find({ where, sort, limit, after })\` with the filter objects below; W6g follows \`next\` (keyset). Open with the indexes: ${num(o?.w6?.openMs)} ms.`);
  if (o?.w6?.explain && Object.keys(o.w6.explain).length === 0) lines.push("  `explain()`: not available in this build.");
  else if (o?.w6?.explain) {
    const ex = SUBS.map((w) => {
      const e = o.w6.explain[w];
      if (e?.error) return `${w} error: ${e.error}`;
      const how = e?.countedFromIndex ? ", counted from the index" : e?.order === "index" ? ", index order" : e?.order === "memory" ? ", sorted in memory" : "";
      return `${w} ${e?.index ?? "scan"} (${(e?.ranges ?? []).join(" ") || "all"})${how}, examines ${e?.examined?.toLocaleString("en-US") ?? "?"}`;
    });
    lines.push(`  \`explain()\`: ${ex.join("; ")}.`);
  }
  lines.push("- **opslog, own scan**: `count(predicate)`, `filter(predicate)` collecting `[id, value]`, `Array.sort` by (due, id), `slice`; W6g scans, sorts and slices again for every page (offset paging).");
  for (const r of rows) {
    if (r.id === "opslog" || !r.w6) continue;
    const setup = Object.values(r.w6.setup ?? {}).join("; ");
    const what = {
      orig: "`count(predicate)`, `filter(predicate)`, JS sort and slice (it has no index)",
      lokijs: "`count(query)`, `chain().find(query)` (implicit $and; the first indexed clause uses the binary index), `simplesort('due', { desc })` (the index when unfiltered, else index intersection or a sort), `offset().limit()`",
      nedb: "`countAsync(query)`, `findAsync(query).sort().skip().limit()` (one index for the candidates, then match, then a JS sort)",
      lowdb: "plain Array `filter`, a counting loop, `sort`, `slice`",
      "sqlite-full": "one prepared SQL statement per query with the same json_extract expressions as the indexes; W6g `LIMIT 50 OFFSET ?`",
    }[r.id] ?? "";
    lines.push(`- **${r.label}**: ${what}${setup ? `; setup: ${setup}` : ""}.`);
    if (r.w6.plans?.sqlite) lines.push(`  Plans: ${SUBS.map((w) => `${w} \`${r.w6.plans.sqlite[w]}\``).join("; ")}.`);
  }
  lines.push("- lmdb and classic-level have no query engine or secondary index; they do not run W6.");
  lines.push("");
  lines.push("Filters:");
  for (const w of SUBS) lines.push(`- ${w}: \`${JSON.stringify({ where: Q[w].where, sort: Q[w].sort, limit: Q[w].limit })}\``);
  return lines.join("\n");
}

export function w6Section(rows, meta) {
  const list = w6Targets(rows);
  return `## W6: queries (issue 13)

Median ms of ${meta.w6Rounds ?? "the"} rounds after one warm-up call (W6g: fewer rounds), all stores on the same ${meta.total ?? ""} records
(\`lib/records.mjs\`: status of 4 values, priority 0-10, owner.id, due in ms over a year, tags). \`(N×)\` is the
value ÷ opslog's indexed figure (higher = slower than opslog). "result" is the count (W6a/b), the items
returned (W6c-W6f) or the items over all pages (W6g); \`≠\` marks a result that differs from opslog's own scan.

${w6Table(rows)}

${w6hTable(rows.find((r) => r.id === "opslog"))}

### W6 targets (issue 13)

${list.length ? targetLines(list) : "_not measured_"}

### What each store does

${whatEachDoes(rows)}`;
}
