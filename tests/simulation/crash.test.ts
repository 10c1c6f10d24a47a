import { describe, expect, it } from "vitest";
import { counters, crashTrial, dryRun, variantChoice } from "../helpers/crash-trial.js";
import { countFromEnv, Random, seedFromEnv } from "../helpers/random.js";

/**
 * Crash simulation (SPEC §2.1, §2.2): random workloads on the simulated file system, a power
 * loss at a random file-system call, then a reopen of what the disk kept. The reopened store
 * must open, hold every acknowledged call, and equal the model at some point between the last
 * acknowledged and the last issued call (so no batch is ever partial).
 *
 * OPSLOG_SEED replays a run exactly; OPSLOG_CRASH_POINTS sets how many crash points to explore
 * (default 5,000; `npm run soak` runs more). OPSLOG_WORKLOAD_SEED + OPSLOG_CRASH_STEP replay a
 * single trial.
 */
const seed = seedFromEnv();
const crashPoints = countFromEnv("OPSLOG_CRASH_POINTS", 5000);
const retentionPoints = countFromEnv("OPSLOG_CRASH_RETENTION_POINTS", 1500);
const pointsPerWorkload = 24;
function replayHint(workloadSeed: number, step: number): string {
  const retention = variantChoice.retention ? "OPSLOG_CRASH_RETENTION=1 " : "";
  return (
    `\nreplay: OPSLOG_SEED=${seed} npx vitest run tests/simulation/crash.test.ts` +
    `\nthis trial only: ${retention}OPSLOG_WORKLOAD_SEED=${workloadSeed} OPSLOG_CRASH_STEP=${step} ` +
    `npx vitest run tests/simulation/crash.test.ts`
  );
}

describe("crash simulation", () => {
  const single = process.env["OPSLOG_WORKLOAD_SEED"];
  if (single) {
    it("replays one trial", async () => {
      const workloadSeed = Number(single);
      const step = Number(process.env["OPSLOG_CRASH_STEP"] ?? "0");
      const total = await dryRun(workloadSeed);
      expect(total).toBeGreaterThan(0);
      const failure = step > 0 ? await crashTrial(workloadSeed, step) : undefined;
      expect(failure, replayHint(workloadSeed, step)).toBeUndefined();
    });
    return;
  }

  it("catches a disk that ignores fsync (negative control: the checks can fail)", async () => {
    const master = new Random(seed ^ 0xbad);
    let failures = 0;
    for (let trial = 0; trial < 300 && failures === 0; trial++) {
      const workloadSeed = master.nextUint32();
      const total = await dryRun(workloadSeed);
      if (await crashTrial(workloadSeed, total + 1, true)) failures++;
    }
    expect(failures).toBeGreaterThan(0);
  }, 120_000);

  it(`explores ${crashPoints} crash points (OPSLOG_SEED=${seed})`, () => explore(crashPoints, seed), 600_000);

  it(`explores ${retentionPoints} crash points with retention and concurrent compact()`, async () => {
    variantChoice.retention = true;
    try {
      await explore(retentionPoints, seed ^ 0x7e7a1);
    } finally {
      variantChoice.retention = false;
    }
  }, 600_000);
});

async function explore(crashPoints: number, seed: number): Promise<void> {
  {
    const master = new Random(seed);
    const started = Date.now();
    let explored = 0;
    let workloads = 0;
    let calls = 0;
    let failed = 0;
    const found = new Map<string, string>();
    while (explored < crashPoints) {
      const workloadSeed = master.nextUint32();
      let total: number;
      try {
        total = await dryRun(workloadSeed);
      } catch (error) {
        const hint = replayHint(workloadSeed, 0);
        expect.fail(`the workload disagrees with the model (no crash): ${String(error)}${hint}`);
      }
      workloads++;
      calls += total;
      // Crash points 1..total fall on a call; total + 1 is a power loss after everything.
      const steps = new Set<number>([total + 1]);
      const wanted = Math.min(pointsPerWorkload, total + 1, crashPoints - explored);
      while (steps.size < wanted) steps.add(master.between(1, total));
      for (const step of steps) {
        const failure = await crashTrial(workloadSeed, step);
        explored++;
        if (!failure) continue;
        failed++;
        // Gather one example of each kind of failure, so one run shows them all.
        const kind = failure.split("\n")[0]!.replace(/'[^']*'/g, "'…'").replace(/\d+/g, "N");
        const example = `crash at call ${step}: ${failure}${replayHint(workloadSeed, step)}`;
        if (!found.has(kind)) found.set(kind, example);
      }
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `crash simulation: ${explored} crash points in ${workloads} workloads ` +
        `(${calls} fs calls in dry runs) in ${seconds.toFixed(1)} s, OPSLOG_SEED=${seed}; ` +
        `calls rejected with a non-OpslogError after the crash: ${counters.rawErrors}; ` +
        `failed trials: ${failed}; ` +
        `second crashes during recovery: ${counters.recoveryCrashes}`,
    );
    if (found.size > 0) console.log(`failure kinds:\n${[...found.keys()].join("\n")}`);
    expect([...found.keys()], [...found.values()].join("\n\n========\n\n")).toEqual([]);
    expect(explored).toBeGreaterThanOrEqual(crashPoints);
  }
}
