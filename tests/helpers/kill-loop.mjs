// Real-process kill loop shared by tests/simulation/kill.test.ts and scripts/torture.mjs: start a
// writer (kill-child.mjs, on the built package), SIGKILL it at a random moment, then verify the
// directory in a fresh process against every line the writer acknowledged, round after round.
import { spawn } from "node:child_process";
import { appendFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), "kill-child.mjs");

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
  if (result.signal !== "SIGKILL") {
    throw new Error(`writer of round ${round} ended by itself (${result.code}): ${result.stderr}`);
  }
  return lines;
}

async function verify(dir, ackFile) {
  let out = "";
  const { exited } = run(["verify", dir, ackFile], (line) => (out = line));
  const result = await exited;
  if (result.code !== 0) return { ok: false, problems: [`verify crashed: ${result.stderr.slice(0, 2000)}`] };
  return JSON.parse(out);
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
    const lines = await killOnce(dir, kills, profile, Math.floor(Math.random() * maxDelayMs));
    kills++;
    if (lines.length > 0) appendFileSync(ackFile, `${lines.join("\n")}\n`);
    const result = await verify(dir, ackFile);
    if (!result.ok) return { kills, acked: last.acked, records: last.records, problems: result.problems, ackFile };
    last = result;
    log(`kill ${kills}: ${lines.length} lines acknowledged this round, ${result.acked} in all, ${result.records} records`);
  }
  return { kills, acked: last.acked, records: last.records, problems: [], ackFile, seconds: (Date.now() - started) / 1000 };
}
