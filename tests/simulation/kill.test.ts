import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { killRounds } from "../helpers/kill-loop.mjs";
import { countFromEnv } from "../helpers/random.js";

/**
 * Real kill -9 (SPEC §2.1, §2.2, §2.5): a child process on the built package (dist/, built by
 * `npm test` before vitest runs) writes with awaited sets, concurrent un-awaited sets and
 * batches, printing each acknowledged call; the parent SIGKILLs it at a random moment, then a
 * fresh process reopens the directory (recovering the dead writer's lock) and checks that every
 * acknowledged call is there and no batch is partial. The torture profile adds undo and
 * checkpoints (scripts/torture.mjs runs it for as long as wanted).
 */
const dist = path.resolve("dist/index.js");
const tmp = mkdtempSync(path.join(os.tmpdir(), "opslog-kill-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("kill -9", () => {
  it("finds the built package (run `npm run build` first; `npm test` does)", () => {
    expect(existsSync(dist), `${dist} is missing`).toBe(true);
  });

  it(`keeps every acknowledged write over ${countFromEnv("OPSLOG_KILLS", 30)} kills`, async () => {
    const result = await killRounds({ dir: path.join(tmp, "basic"), rounds: countFromEnv("OPSLOG_KILLS", 30) });
    console.log(`kill -9: ${result.kills} kills, ${result.acked} acknowledged calls verified`);
    expect(result.problems, `acknowledgements in ${result.ackFile}`).toEqual([]);
    expect(result.kills).toBeGreaterThanOrEqual(30);
    expect(result.acked).toBeGreaterThan(0);
  }, 300_000);

  it(`survives ${countFromEnv("OPSLOG_TORTURE_KILLS", 50)} kills under load with undo and checkpoints`, async () => {
    const rounds = countFromEnv("OPSLOG_TORTURE_KILLS", 50);
    const result = await killRounds({ dir: path.join(tmp, "torture"), rounds, profile: "torture", maxDelayMs: 150 });
    console.log(`torture: ${result.kills} kills, ${result.acked} acknowledged calls verified`);
    expect(result.problems, `acknowledgements in ${result.ackFile}`).toEqual([]);
    expect(result.kills).toBeGreaterThanOrEqual(rounds);
  }, 300_000);
});
