// Real-process kill loop shared by tests/simulation/kill.test.ts and scripts/torture.mjs: start a
// writer (kill-child.mjs, on the built package), SIGKILL it at a random moment, then verify the
// directory in a fresh process against every line the writer acknowledged, round after round.
import { spawn } from "node:child_process";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const child = path.join(here, "kill-child.mjs");
const distIndex = path.join(here, "..", "..", "dist", "index.js");

function run(args, onLine) {
  const proc = spawn(process.execPath, [child, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  let pending = "";
  proc.stdout.setEncoding("utf8");
  proc.stdout.on("data", (chunk) => {
    pending += chunk;
    let at;
    while ((at = pending.indexOf("\n")) >= 0) {
      onLine(pending.slice(0, at));
      pending = pending.slice(at + 1);
    }
  });
  proc.stderr.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => proc.on("close", (code, signal) => resolve({ code, signal, stderr })));
  return { proc, exited };
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One writer, killed after `killAfterMs` from its "ready"; returns its acknowledged lines. */
async function killOnce(dir, round, profile, killAfterMs) {
  const lines = [];
  let ready;
  const isReady = new Promise((resolve) => (ready = resolve));
  const { proc, exited } = run(["write", dir, String(round), profile], (line) => {
    if (line === "ready") ready();
    else lines.push(line);
  });
  const started = await Promise.race([isReady.then(() => true), exited.then(() => false), delay(15_000)]);
  if (started === true) await delay(killAfterMs);
  proc.kill("SIGKILL");
  const result = await exited;
  const died = result.signal === "SIGKILL" ? undefined : `writer of round ${round} ended by itself (${result.code}): ${result.stderr.slice(0, 3000)}`;
  return { lines, died };
}

/**
 * Opens the directory (recovering the dead writer's lock) with the built package, checks every
 * acknowledged line against it and that no batch is partial.
 */
async function verify(dir, ackFile) {
  const { Store } = await import(distIndex);
  const lines = readFileSync(ackFile, "utf8").split("\n").filter(Boolean);
  const store = new Store();
  try {
    await store.open(dir);
  } catch (error) {
    return { ok: false, problems: [`open after the kill failed: ${error?.code} ${error}`] };
  }
  const problems = [];
  const undoStarted = new Set();
  const undone = new Set();
  for (const line of lines) {
    const [kind, id] = line.split(" ");
    if (kind === "undo-start") undoStarted.add(id);
    if (kind === "undone") undone.add(id);
  }
  let acked = 0;
  for (const line of lines) {
    const [kind, id, size] = line.split(" ");
    if (kind === "set") {
      acked++;
      const value = store.get(id);
      if (undone.has(id)) {
        if (value !== undefined) problems.push(`${id}: undo was acknowledged but the record is there`);
      } else if (!undoStarted.has(id) && value?.id !== id) {
        problems.push(`${id}: acknowledged set is missing (found ${JSON.stringify(value)})`);
      }
    } else if (kind === "batch") {
      acked++;
      for (let k = 0; k < Number(size); k++) {
        if (store.get(`${id}-${k}`)?.batch !== id) problems.push(`${id}: acknowledged batch lacks ${id}-${k}`);
      }
    }
  }
  const batches = new Map();
  for (const [, value] of store.entries()) {
    if (value && typeof value.batch === "string") {
      const seen = batches.get(value.batch) ?? { size: value.size, count: 0 };
      seen.count++;
      batches.set(value.batch, seen);
    }
  }
  for (const [bid, { size, count }] of batches) {
    if (count !== size) problems.push(`${bid}: partial batch, ${count} of ${size} records`);
  }
  const records = store.count();
  await store.close();
  return { ok: problems.length === 0, problems: problems.slice(0, 20), acked, records };
}

/**
 * Runs kill rounds on `dir` until `rounds` kills or `seconds` elapsed. Resolves with the
 * figures and the problems found (stops at the first failed verification).
 */
export async function killRounds({ dir, rounds = Infinity, seconds = Infinity, profile = "basic", maxDelayMs = 250, log = () => {} }) {
  const ackFile = `${dir}.acks`;
  writeFileSync(ackFile, "");
  const started = Date.now();
  let kills = 0;
  let last = { acked: 0, records: 0 };
  while (kills < rounds && Date.now() - started < seconds * 1000) {
    const { lines, died } = await killOnce(dir, kills, profile, Math.floor(Math.random() * maxDelayMs));
    if (lines.length > 0) appendFileSync(ackFile, `${lines.join("\n")}\n`);
    if (died) return { kills, acked: last.acked, records: last.records, problems: [died], ackFile };
    kills++;
    const result = await verify(dir, ackFile);
    if (!result.ok) return { kills, acked: last.acked, records: last.records, problems: result.problems, ackFile };
    last = result;
    log(`kill ${kills}: ${lines.length} lines acknowledged this round, ${result.acked} in all, ${result.records} records`);
  }
  return { kills, acked: last.acked, records: last.records, problems: [], ackFile, seconds: (Date.now() - started) / 1000 };
}
