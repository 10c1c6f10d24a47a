// The table, the targets and BENCHMARKS.md.

const fmtInt = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const fmt1 = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1, minimumFractionDigits: 1 });

export function num(x) {
  if (x === undefined || x === null || Number.isNaN(x)) return "—";
  if (Math.abs(x) >= 100) return fmtInt.format(x);
  if (Math.abs(x) >= 10) return fmt1.format(x);
  return x.toPrecision(2);
}

function ratio(x, base) {
  if (x === undefined || base === undefined || !base || Number.isNaN(x)) return "";
  const r = x / base;
  return ` (${r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r >= 0.01 ? r.toFixed(2) : r.toPrecision(1)}×)`;
}

/** Columns of the main table: key in the row's results, heading, unit note. */
export const COLUMNS = [
  { key: "W1", head: "W1 seq set/s", better: "higher" },
  { key: "W2", head: "W2 64-in-flight set/s", better: "higher" },
  { key: "W3", head: "W3 bulk rec/s", better: "higher" },
  { key: "W4", head: "W4 open ms", better: "lower" },
  { key: "W4rss", head: "W4 RSS MB", better: "lower" },
  { key: "W5", head: "W5 reads/s", better: "higher" },
  { key: "W5warm", head: "W5 warm reads/s", better: "higher" },
  { key: "W7", head: "W7 disk MB", better: "lower" },
  { key: "W8", head: "W8 upd/s", better: "higher" },
  { key: "W8close", head: "W8 close ms", better: "lower" },
  { key: "W8reopen", head: "W8 reopen ms", better: "lower" },
];

export function durabilityCell(v) {
  if (!v) return "not checked";
  if (v.unavailable) return "unknown (no strace)";
  const parts = [];
  for (const [name, r] of [["seq", v.seq], ["64∥", v.conc]]) {
    if (!r) continue;
    if (r.error) {
      parts.push(`${name}: error`);
      continue;
    }
    parts.push(`${name} ${r.synced}/${r.acks}`);
  }
  const all = [v.seq, v.conc].filter(Boolean);
  const yes = all.length > 0 && all.every((r) => !r.error && r.synced === r.acks);
  const none = all.every((r) => !r.error && r.synced === 0);
  return `${yes ? "**yes**" : none ? "no" : "partly"} (${parts.join(", ")})`;
}

export function isDurable(v) {
  if (!v || v.unavailable) return undefined;
  const all = [v.seq, v.conc].filter(Boolean);
  return all.length > 0 && all.every((r) => !r.error && r.synced === r.acks);
}

function cell(row, key, base) {
  const r = row.results[key];
  if (r === undefined) return row.full ? "—" : "";
  if (r.error) return "error";
  const mark = r.capped ? "*" : "";
  return num(r.value) + mark + (row.id === "opslog" ? "" : ratio(r.value, base?.results[key]?.value));
}

export function mainTable(rows) {
  const base = rows.find((r) => r.id === "opslog");
  const head = ["store", "mode", "acks synced (strace)", ...COLUMNS.map((c) => c.head)];
  const lines = [
    `| ${head.join(" | ")} |`,
    `|${head.map((_, i) => (i < 3 ? "---" : "---:")).join("|")}|`,
  ];
  for (const row of rows) {
    const cells = [row.label, row.mode, durabilityCell(row.durability), ...COLUMNS.map((c) => cell(row, c.key, base))];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

export function verificationTable(rows) {
  const lines = [
    "| store | mode | sequential: acks synced | syncs/ack | 64 in flight: acks synced | syncs/ack | sync calls seen (seq run) |",
    "|---|---|---:|---:|---:|---:|---|",
  ];
  for (const row of rows) {
    const v = row.durability;
    if (!v || v.unavailable) {
      lines.push(`| ${row.label} | ${row.mode} | ${v?.unavailable ? "strace unavailable" : "not run"} | | | | |`);
      continue;
    }
    const f = (r) => (r ? (r.error ? r.error : `${r.synced}/${r.acks}`) : "—");
    const g = (r) => (r && !r.error ? r.syncsPerAck.toFixed(2) : "—");
    const kinds = v.seq && !v.seq.error
      ? Object.entries(v.seq.counts)
          .filter(([k, n]) => n > 0 && k !== "openat")
          .map(([k, n]) => `${k} ${n}`)
          .join(", ") || "none"
      : "";
    lines.push(`| ${row.label} | ${row.mode} | ${f(v.seq)} | ${g(v.seq)} | ${f(v.conc)} | ${g(v.conc)} | ${kinds} |`);
  }
  return lines.join("\n");
}

/** The targets, evaluated within this run. */
export function targets(rows) {
  const by = (id) => rows.find((r) => r.id === id);
  const v = (id, key) => {
    const r = by(id)?.results[key];
    return r && !r.error ? r.value : undefined;
  };
  const o = "opslog";
  const durable = isDurable(by(o)?.durability);
  const list = [];
  const add = (name, measured, need, met, note = "") => list.push({ name, measured, need, met, note });
  const cmp = (a, b, k, higher) => (a === undefined || b === undefined ? undefined : higher ? a >= k * b : a <= k * b);
  const r = (a, b) => (a === undefined || b === undefined ? "—" : (a / b).toFixed(2) + "×");

  const w1 = cmp(v(o, "W1"), v("sqlite-full", "W1"), 0.9, true);
  add("W1 ≥ 0.9 × better-sqlite3 FULL, one sync per acknowledged write", `${num(v(o, "W1"))} vs ${num(v("sqlite-full", "W1"))} set/s = ${r(v(o, "W1"), v("sqlite-full", "W1"))}; acks synced: ${durable === undefined ? "unknown" : durable ? "yes" : "NO"}`, "≥ 0.90×", w1 === undefined ? undefined : w1 && durable !== false);
  const w2 = cmp(v(o, "W2"), v("lmdb", "W2"), 1, true);
  add("W2 ≥ 1.0 × lmdb, durable (group commit)", `${num(v(o, "W2"))} vs ${num(v("lmdb", "W2"))} set/s = ${r(v(o, "W2"), v("lmdb", "W2"))}`, "≥ 1.00×", w2 === undefined ? undefined : w2 && durable !== false);
  add("W3 ≥ 1.0 × lmdb, default options", `${num(v(o, "W3"))} vs ${num(v("lmdb", "W3"))} rec/s = ${r(v(o, "W3"), v("lmdb", "W3"))}`, "≥ 1.00×", cmp(v(o, "W3"), v("lmdb", "W3"), 1, true));
  add("W4 open time ≤ 0.5 × original opslog", `${num(v(o, "W4"))} vs ${num(v("orig", "W4"))} ms = ${r(v(o, "W4"), v("orig", "W4"))}`, "≤ 0.50×", cmp(v(o, "W4"), v("orig", "W4"), 0.5, false));
  add("W4 RSS ≤ 1.0 × original opslog", `${num(v(o, "W4rss"))} vs ${num(v("orig", "W4rss"))} MB = ${r(v(o, "W4rss"), v("orig", "W4rss"))}`, "≤ 1.00×", cmp(v(o, "W4rss"), v("orig", "W4rss"), 1, false));
  add("W5 ≥ 1.0 × original opslog", `${num(v(o, "W5"))} vs ${num(v("orig", "W5"))} reads/s = ${r(v(o, "W5"), v("orig", "W5"))}`, "≥ 1.00×", cmp(v(o, "W5"), v("orig", "W5"), 1, true));
  add("W7 ≤ 1.5 × better-sqlite3 (default history retention included)", `${num(v(o, "W7"))} vs ${num(v("sqlite-full", "W7"))} MB = ${r(v(o, "W7"), v("sqlite-full", "W7"))}`, "≤ 1.50×", cmp(v(o, "W7"), v("sqlite-full", "W7"), 1.5, false));
  add("W8 updates/s ≥ 0.8 × opslog's own W1", `${num(v(o, "W8"))} vs ${num(v(o, "W1"))} set/s = ${r(v(o, "W8"), v(o, "W1"))}`, "≥ 0.80×", cmp(v(o, "W8"), v(o, "W1"), 0.8, true));
  add("W8 reopen ≤ 0.5 × original opslog", `${num(v(o, "W8reopen"))} vs ${num(v("orig", "W8reopen"))} ms = ${r(v(o, "W8reopen"), v("orig", "W8reopen"))}`, "≤ 0.50×", cmp(v(o, "W8reopen"), v("orig", "W8reopen"), 0.5, false));
  // Issue 14 (speed): warm reads beside LokiJS, open and memory beside the original, close.
  add("(14) W5 warm (after a scan) ≥ 1.0 × LokiJS", `${num(v(o, "W5warm"))} vs ${num(v("lokijs", "W5warm"))} reads/s = ${r(v(o, "W5warm"), v("lokijs", "W5warm"))}`, "≥ 1.00×", cmp(v(o, "W5warm"), v("lokijs", "W5warm"), 1, true));
  add("(14) W4 open ≤ 0.25 × original opslog", `${num(v(o, "W4"))} vs ${num(v("orig", "W4"))} ms = ${r(v(o, "W4"), v("orig", "W4"))}`, "≤ 0.25×", cmp(v(o, "W4"), v("orig", "W4"), 0.25, false));
  add("(14) W4 RSS ≤ 0.5 × original opslog", `${num(v(o, "W4rss"))} vs ${num(v("orig", "W4rss"))} MB = ${r(v(o, "W4rss"), v("orig", "W4rss"))}`, "≤ 0.50×", cmp(v(o, "W4rss"), v("orig", "W4rss"), 0.5, false));
  const close = v(o, "W8close");
  add("(14) W8 close after the updates ≤ 50 ms", `${num(close)} ms (original ${num(v("orig", "W8close"))}, lmdb ${num(v("lmdb", "W8close"))})`, "≤ 50 ms", close === undefined ? undefined : close <= 50);
  return list;
}

export function targetsTable(list) {
  const lines = ["| target | measured (opslog vs peer) | needed | result |", "|---|---|---|---|"];
  for (const t of list) {
    lines.push(`| ${t.name} | ${t.measured} | ${t.need} | ${t.met === undefined ? "not measured" : t.met ? "met" : "**missed**"} |`);
  }
  return lines.join("\n");
}

export function limitsTable(l) {
  if (!l || l.error) return "_machine limits: not measured_";
  return [
    "| limit | value |",
    "|---|---:|",
    `| fdatasync/s, 200-byte appends (writeSync + fdatasyncSync) | ${num(l.fdatasyncPerSec)} |`,
    `| sequential write MB/s (1 MiB writes, final fsync) | ${num(l.seqWriteMBps)} |`,
    `| JSON.stringify records/s (200 B) | ${num(l.stringifyPerSec)} |`,
    `| JSON.parse records/s (200 B) | ${num(l.parsePerSec)} |`,
  ].join("\n");
}
