// Top functions by self time in a V8 .cpuprofile (node --cpu-prof), with file:line. Lines in
// opslog's dist/ are mapped back to src/*.ts through the build's source maps when present.
import fs from "node:fs";
import path from "node:path";
import { SourceMap } from "node:module";
import { fileURLToPath } from "node:url";

const maps = new Map();

function sourceMapFor(file) {
  if (maps.has(file)) return maps.get(file);
  let map;
  try {
    const text = fs.readFileSync(file + ".map", "utf8");
    map = new SourceMap(JSON.parse(text));
  } catch {
    map = undefined;
  }
  maps.set(file, map);
  return map;
}

function location(frame, root) {
  const { url, lineNumber, columnNumber } = frame;
  if (!url) return "(native)";
  if (!url.startsWith("file:") && !path.isAbsolute(url)) return `${url}:${lineNumber + 1}`;
  let file = url;
  try {
    if (url.startsWith("file:")) file = fileURLToPath(url);
  } catch {
    // keep the url
  }
  let line = lineNumber + 1;
  if (file.endsWith(".js") && fs.existsSync(file + ".map")) {
    const entry = sourceMapFor(file)?.findEntry(lineNumber, columnNumber);
    if (entry && entry.originalSource) {
      const src = entry.originalSource.startsWith("file:")
        ? fileURLToPath(entry.originalSource)
        : path.resolve(path.dirname(file), entry.originalSource);
      file = src;
      line = entry.originalLine + 1;
    }
  }
  // A snapshot build under bench/results/<name>/ (src/ of a commit, see README) reads as src/.
  const rel = path.relative(root, file).replace(/^bench\/results\/[^/]+\/(src\/)/, "$1");
  return `${rel.startsWith("..") ? file : rel}:${line}`;
}

/** [{ fn, where, selfMs, pct }] sorted by self time. */
export function topSelf(profileFile, root, limit = 20) {
  const prof = JSON.parse(fs.readFileSync(profileFile, "utf8"));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const { samples, timeDeltas } = prof;
  let total = 0;
  for (let i = 0; i < samples.length; i++) {
    const dt = (timeDeltas[i + 1] ?? 0) / 1000;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + dt);
    total += dt;
  }
  const agg = new Map();
  for (const [id, ms] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const f = node.callFrame;
    const fn = f.functionName || "(anonymous)";
    const where = location(f, root);
    const key = fn + "@" + where;
    const cur = agg.get(key) ?? { fn, where, selfMs: 0 };
    cur.selfMs += ms;
    agg.set(key, cur);
  }
  const list = [...agg.values()].sort((a, b) => b.selfMs - a.selfMs);
  for (const e of list) e.pct = (100 * e.selfMs) / total;
  return { totalMs: total, top: list.slice(0, limit) };
}

export function formatTop({ totalMs, top }) {
  const lines = [`total sampled ${totalMs.toFixed(0)} ms`, "| self ms | self % | function | file:line |", "|---:|---:|---|---|"];
  for (const e of top) lines.push(`| ${e.selfMs.toFixed(1)} | ${e.pct.toFixed(1)} | ${e.fn} | ${e.where} |`);
  return lines.join("\n");
}
