#!/usr/bin/env node
// Soak: runs the deterministic simulations again and again with fresh seeds.
//
//   npm run soak -- --minutes 30                # crash simulation + I/O faults + corruption
//   npm run soak -- --points 50000 --runs 1     # one long crash run
//
// Each run prints its OPSLOG_SEED; the first failure stops the soak and prints the command
// that replays it exactly.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
function option(name, fallback) {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1] : fallback;
}

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const vitest = path.join(root, "node_modules", ".bin", "vitest");
const minutes = Number(option("minutes", "10"));
const runs = Number(option("runs", "Infinity"));
const points = option("points", "20000");
const suites = [
  { file: "tests/simulation/crash.test.ts", env: { OPSLOG_CRASH_POINTS: points } },
  { file: "tests/simulation/io-faults.test.ts", env: { OPSLOG_FAULT_WORKLOADS: "10" } },
  { file: "tests/corruption/fuzz.test.ts", env: { OPSLOG_CORRUPTIONS: "10000" } },
];

const deadline = Date.now() + minutes * 60_000;
let run = 0;
while (run < runs && Date.now() < deadline) {
  const suite = suites[run % suites.length];
  run++;
  const seed = String(Math.floor(Math.random() * 0x100000000));
  console.log(`soak run ${run}: OPSLOG_SEED=${seed} ${suite.file}`);
  const result = spawnSync(vitest, ["run", suite.file], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, ...suite.env, OPSLOG_SEED: seed },
  });
  if (result.status !== 0) {
    const env = Object.entries(suite.env).map(([k, v]) => `${k}=${v}`).join(" ");
    console.error(`\nsoak FAILED. Replay: OPSLOG_SEED=${seed} ${env} npx vitest run ${suite.file}`);
    process.exit(1);
  }
}
console.log(`soak: ${run} runs passed`);
