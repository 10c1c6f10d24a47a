// Shared pieces of the PostgreSQL benchmarks of issue 12 (pg-writes, pg-follow, pg-open): the
// opslog PostgreSQL module's location, the documents, the child-process protocol, statistics.
//
// Child protocol: a child prints "ready" once prepared, waits for one line on stdin ("go"),
// works, then prints one line "result <json>" and exits. Everything else it prints is passed
// through to stderr (so a failing child explains itself).
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { makeRecord } from "./records.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * opslog's PostgreSQL storage, built at the root (`npm run build` writes dist/postgres.js).
 * OPSLOG_BENCH_PG_MODULE=path/to/postgres.js measures another build; OPSLOG_BENCH_MODULE (the
 * core, dist/index.js) as in run.mjs.
 */
export const OPSLOG_PG_MODULE = path.resolve(
  process.env.OPSLOG_BENCH_PG_MODULE ?? path.join(here, "..", "..", "dist", "postgres.js"),
);
export const OPSLOG_MODULE = path.resolve(
  process.env.OPSLOG_BENCH_MODULE ?? path.join(here, "..", "..", "dist", "index.js"),
);

/**
 * Imports opslog and its PostgreSQL storage: `{ Store, open, postgres }`, or `{ error }` saying
 * why opslog on PostgreSQL is not available (the module is not built yet, say).
 */
export async function loadOpslogPg() {
  try {
    const core = await import(pathToFileURL(OPSLOG_MODULE).href);
    const pg = await import(pathToFileURL(OPSLOG_PG_MODULE).href);
    if (typeof pg.postgres !== "function") {
      return { error: `${path.relative(process.cwd(), OPSLOG_PG_MODULE)} exports no postgres()` };
    }
    return { Store: core.Store, open: core.open, postgres: pg.postgres };
  } catch (err) {
    const message = String(err?.message ?? err).split("\n")[0];
    const missing = err?.code === "ERR_MODULE_NOT_FOUND" && message.includes(OPSLOG_PG_MODULE);
    const where = path.relative(process.cwd(), OPSLOG_PG_MODULE);
    return { error: missing ? `${where} not found: build it with npm run build` : message };
  }
}

/** The ~200-byte JSON document of write number `i` of process `proc`. */
export function documentOf(proc, i) {
  return makeRecord(proc * 10_000_000 + i);
}

export const now = () => performance.timeOrigin + performance.now();
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

export function median(xs) {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function fmt(n, digits = 0) {
  if (!Number.isFinite(n)) return "–";
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * Starts `node script ...args` as a child speaking the protocol above. Returns
 * `{ ready, go(), result }`: `ready` resolves when the child printed "ready" (or rejects when
 * it exits first), `result` with the parsed result line (or rejects with its stderr's tail).
 */
export function startChild(script, args, env = {}) {
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let out = "";
  let err = "";
  let readyResolve;
  let readyReject;
  const ready = new Promise((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });
  child.stdout.on("data", (chunk) => {
    out += chunk.toString();
    if (out.includes("ready\n")) readyResolve();
  });
  child.stderr.on("data", (chunk) => (err += chunk.toString()));
  const result = new Promise((resolve, reject) => {
    child.on("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("result "));
      if (line) resolve(JSON.parse(line.slice("result ".length)));
      else reject(new Error(`child ${path.basename(script)} ${args.join(" ")} exited ${code}: ${err.trim().split("\n").slice(-5).join(" | ")}`));
      readyReject(new Error(`child exited ${code} before it was ready: ${err.trim().split("\n").slice(-5).join(" | ")}`));
    });
  });
  ready.catch(() => undefined);
  result.catch(() => undefined);
  return { ready, result, go: () => child.stdin.end("go\n"), kill: () => child.kill("SIGKILL") };
}

/** In a child: prints "ready", waits for the parent's "go". */
export async function readyAndWait() {
  process.stdout.write("ready\n");
  await new Promise((resolve) => process.stdin.once("data", resolve));
  process.stdin.destroy();
}

/** In a child: prints the result line. */
export function report(result) {
  process.stdout.write(`result ${JSON.stringify(result)}\n`);
}

/**
 * fdatasync/s of 200-byte appends for `ms` (default 300) in a temporary file: the disk's sync
 * rate right now (the server's WAL flushes run on the same shared disk, and it drifts).
 */
export function syncProbe(ms = 300) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "opslog-sync-probe-"));
  try {
    const fd = fs.openSync(path.join(dir, "append.log"), "a");
    const buf = Buffer.from(`${JSON.stringify(makeRecord(1))}\n`);
    const start = now();
    let n = 0;
    while (now() - start < ms) {
      fs.writeSync(fd, buf);
      fs.fdatasyncSync(fd);
      n++;
    }
    fs.closeSync(fd);
    return (n * 1000) / (now() - start);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
