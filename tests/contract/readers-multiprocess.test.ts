import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { binary, cli, requireBuiltBinary } from "../cli/helpers.js";
import { tempDir } from "../helpers/temp-dir.js";

const writerScript = path.resolve("tests/helpers/checkpointing-writer.mjs");
const readerScript = path.resolve("tests/helpers/history-reader.mjs");
/** How long the writer writes: long enough for dozens of checkpoints, compressions, prunes. */
const writeMs = 5_000;
const readerProcesses = 2;

function start(script: string, args: string[]): ChildProcess {
  return spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
}

/** Resolves with the child's stdout once it exits; rejects on a non-zero exit. */
function output(child: ChildProcess, onLine?: (line: string) => void): Promise<string> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const line of chunk.toString().split("\n")) if (line !== "") onLine?.(line);
  });
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on("close", (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

interface CliTally {
  runs: number;
  failures: string[];
  /** `at` runs whose point the writer had pruned meanwhile: answered as for any pruned point. */
  atPruned: number;
}

/** The answer `at` gives for a point before the retained history, naming a later oldest state. */
function prunedAnswer(stderr: string, point: number): boolean {
  const oldest = /was pruned by the retention policy; the oldest reachable state is seq (\d+)/.exec(stderr);
  return oldest !== null && Number(oldest[1]) > point;
}

/** Runs the CLI's read commands one after another until `done` is set. */
async function cliReads(dir: string, done: { value: boolean }): Promise<CliTally> {
  const tally: CliTally = { runs: 0, failures: [], atPruned: 0 };
  const run = async (args: string[], point?: number): Promise<string | undefined> => {
    const result = await cli(args);
    tally.runs++;
    if (result.code === 0) return result.stdout;
    if (point !== undefined && result.code === 1 && prunedAnswer(result.stderr, point)) {
      tally.atPruned++;
      return undefined;
    }
    tally.failures.push(`opslog ${args.join(" ")}: exit ${result.code}: ${result.stderr.trim()}`);
    return undefined;
  };
  while (!done.value) {
    const info = await run(["info", dir, "--json"]);
    const seq = info === undefined ? 0 : (JSON.parse(info) as { history: { lastSeq: number } }).history.lastSeq;
    await run(["ls", dir, "--ids-only"]);
    await run(["log", dir, "--json"]);
    await run(["get", dir, "fixed"]);
    await run(["at", dir, "2999-01-01T00:00:00Z", "get", "fixed"]); // Walks every segment's times.
    if (seq <= 20) continue; // info failed (counted): no point to read at.
    await run(["log", dir, "--since", String(seq - 20)]);
    // The writer goes on meanwhile (thousands of operations a second): the point may be pruned.
    await run(["at", dir, String(seq - 20), "get", "fixed"], seq - 20);
  }
  return tally;
}

/**
 * SPEC §2.8: readers never fail because a writer made progress. A writer checkpoints every 50
 * operations and keeps 300, so it seals, snapshots, compresses and prunes many times a second;
 * read-only Stores in other processes and the CLI's read commands read the whole time.
 */
describe("readers in other processes beside a checkpointing writer", () => {
  it("never fail, and read consistent history", async () => {
    requireBuiltBinary();
    expect(fs.existsSync(binary)).toBe(true);
    const dir = path.join(tempDir(), "store");
    const stopFile = path.join(path.dirname(dir), "stop");
    const writer = start(writerScript, [dir, String(writeMs)]);
    let signalReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (signalReady = resolve));
    const written = output(writer, (line) => line === "ready" && signalReady());
    await Promise.race([ready, written]);
    const readers = Array.from({ length: readerProcesses }, () => output(start(readerScript, [dir, stopFile])));
    const done = { value: false };
    const cliRun = cliReads(dir, done);
    const [last, seq, snapshots] = (await written).trim().split("\n").at(-1)!.split(" ");
    fs.writeFileSync(stopFile, "");
    done.value = true;
    const results = (await Promise.all(readers)).map(
      (text) => JSON.parse(text) as { reads: number; failures: number; messages: string[] },
    );
    const tally = await cliRun;
    if (process.env["OPSLOG_TEST_VERBOSE"]) console.log({ seq, snapshots, results, tally });
    expect(last).toBe("done");
    // The writer really did make progress of every kind many times (a checkpoint per 50 ops).
    expect(Number(seq)).toBeGreaterThan(900);
    expect(Number(snapshots)).toBeGreaterThan(5);
    for (const result of results) {
      expect(result.messages).toEqual([]);
      expect(result.failures).toBe(0);
      expect(result.reads).toBeGreaterThanOrEqual(10); // Each a whole open-read-close round.
    }
    expect(tally.failures).toEqual([]);
    expect(tally.runs).toBeGreaterThanOrEqual(7); // Every read command ran beside the writer.
  }, 40_000);
});
