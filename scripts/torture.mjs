#!/usr/bin/env node
// Real-process torture: repeatedly SIGKILLs a writer under concurrent load (awaited and
// un-awaited sets, batches, undo, checkpoints) and verifies the directory after every kill.
//
//   npm run torture -- --seconds 600          # as long as you like
//   npm run torture -- --kills 200 --profile basic --dir /tmp/t1
//
// Runs against the built package: `npm run build` first. Exits 1 on the first failed check,
// keeping the directory and the acknowledgement log for inspection.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { killRounds } from "../tests/helpers/kill-loop.mjs";

const args = process.argv.slice(2);
function option(name, fallback) {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1] : fallback;
}

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
if (!existsSync(path.join(root, "dist", "index.js"))) {
  console.error("dist/index.js is missing: run `npm run build` first");
  process.exit(2);
}
const seconds = Number(option("seconds", "60"));
const kills = Number(option("kills", "Infinity"));
const profile = option("profile", "torture");
const base = option("dir", undefined) ?? mkdtempSync(path.join(os.tmpdir(), "opslog-torture-"));
const dir = path.join(base, "store");

console.log(`torture: ${profile} writer, up to ${seconds} s / ${kills} kills, in ${dir}`);
const result = await killRounds({
  dir,
  seconds,
  rounds: kills,
  profile,
  maxDelayMs: 300,
  log: (line) => console.log(line),
});
if (result.problems.length > 0) {
  console.error(`FAILED after ${result.kills} kills:\n${result.problems.join("\n")}`);
  console.error(`directory kept: ${dir}\nacknowledgements: ${result.ackFile}`);
  process.exit(1);
}
console.log(
  `torture: ${result.kills} kills in ${result.seconds?.toFixed(0)} s, ` +
    `${result.acked} acknowledged calls verified, ${result.records} records; no problem found`,
);
if (option("dir", undefined) === undefined) rmSync(base, { recursive: true, force: true });
