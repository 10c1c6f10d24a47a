// Follower latency (issue 11): a writer in one process does `--rate` sets per second (default
// 1,000) for `--seconds` (default 10); a follower in this process (`open(dir, { readOnly: true,
// follow: true })`) consumes `store.watch()`. For every operation: the wall-clock time from the
// writer's acknowledgement (its set() resolved) to the follower's watch() yielding it, both
// read from performance.timeOrigin + performance.now() on the same machine. Reported with the
// fs.watch wake-up and with polling only (followWatch: false, followPollMs default 100).
//
//   node bench/follow-latency.mjs [--rate 1000] [--seconds 10] [--mode both|watch|poll]
//   OPSLOG_BENCH_MODULE=path/to/index.js  measures another build (default: dist/index.js)
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "1000" },
    seconds: { type: "string", default: "10" },
    mode: { type: "string", default: "both" },
    writer: { type: "string" },
    dir: { type: "string" },
  },
});
const modulePath = path.resolve(process.env.OPSLOG_BENCH_MODULE ?? new URL("../dist/index.js", import.meta.url).pathname);
const { Store } = await import(pathToFileURL(modulePath).href);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The writer process: paced sets; prints "<seq> <ack ms>" per operation, then "end". */
async function writer(dir, rate, seconds) {
  const store = new Store();
  await store.open(dir);
  const pad = "p".repeat(150);
  process.stdout.write("ready\n");
  await new Promise((resolve) => process.stdin.once("data", resolve)); // The follower is open.
  process.stdin.destroy();
  const start = now();
  const total = rate * seconds;
  let lines = "";
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rate - now();
    if (wait > 0) await sleep(wait);
    await store.set(`k${i % 1000}`, { i, pad });
    lines += `${store.stats().seq} ${now().toFixed(3)}\n`;
    if (lines.length > 16_384) {
      process.stdout.write(lines);
      lines = "";
    }
  }
  process.stdout.write(`${lines}end ${((total * 1000) / (now() - start)).toFixed(0)}\n`);
  await store.close();
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

async function measure(followWatch, rate, seconds) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "opslog-follow-"));
  const script = new URL(import.meta.url).pathname;
  const child = spawn(process.execPath, [script, "--writer", "1", "--dir", dir, "--rate", String(rate), "--seconds", String(seconds)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let text = "";
  child.stdout.on("data", (chunk) => (text += chunk.toString()));
  while (!text.includes("ready\n")) await sleep(5);
  const follower = new Store();
  await follower.open(dir, { readOnly: true, follow: true, followWatch });
  const seen = new Map();
  const controller = new AbortController();
  const feed = (async () => {
    for await (const op of follower.watch({ since: follower.stats().seq, signal: controller.signal })) seen.set(op.seq, now());
  })();
  child.stdin.end("go\n");
  await new Promise((resolve) => child.on("exit", resolve));
  const acks = text.split("\n").filter((line) => /^\d+ /.test(line)).map((line) => line.split(" ").map(Number));
  const achieved = /end (\d+)/.exec(text)?.[1];
  const deadline = Date.now() + 5_000;
  while (seen.size < acks.length && Date.now() < deadline) await sleep(10);
  controller.abort();
  await feed;
  await follower.close();
  fs.rmSync(dir, { recursive: true, force: true });
  const latencies = acks.filter(([seq]) => seen.has(seq)).map(([seq, ack]) => seen.get(seq) - ack).sort((a, b) => a - b);
  return {
    mode: followWatch ? "fs.watch + poll" : "poll only (100 ms)",
    writerSetsPerSec: Number(achieved),
    ops: acks.length,
    seen: latencies.length,
    p50ms: Number(percentile(latencies, 50).toFixed(2)),
    p99ms: Number(percentile(latencies, 99).toFixed(2)),
    maxms: Number(latencies.at(-1).toFixed(2)),
  };
}

if (values.writer) {
  await writer(values.dir, Number(values.rate), Number(values.seconds));
} else {
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const modes = values.mode === "both" ? [true, false] : [values.mode === "watch"];
  const results = [];
  for (const followWatch of modes) results.push(await measure(followWatch, rate, seconds));
  console.log(`node ${process.version}, ${os.cpus().length} cores, ${rate} sets/s for ${seconds} s`);
  console.table(results);
}
