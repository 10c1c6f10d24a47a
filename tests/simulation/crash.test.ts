import { describe, expect, it } from "vitest";
import { Store, type StoreOptions } from "../../src/index.js";
import { countFromEnv, Random, seedFromEnv } from "../helpers/random.js";
import { Model, type Observed } from "../helpers/model.js";
import { SimFileSystem } from "../helpers/sim-fs.js";
import {
  abandon,
  BatchAbort,
  candidateModels,
  describeIssued,
  fixedClock,
  isOpslogError,
  mismatch,
  observe,
  runWorkload,
  withTimeout,
  type Issued,
  type RunResult,
  type WorkloadShape,
} from "../helpers/workload.js";

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
const pointsPerWorkload = 24;
/** A fresh directory name per run: a Store abandoned after a crash keeps its directory locked in
 * this process (tests/regression/close-after-io-failure-releases-lock.test.ts). */
let runs = 0;
const freshDir = (): string => `/data/store-${++runs}`;
const phaseTimeoutMs = 3_000;

interface Variant {
  name: string;
  shape: WorkloadShape;
  options: StoreOptions<unknown>;
}

/** Checkpoints where the model knows (compact, close) or automatic ones every few operations. */
function variantFor(rng: Random): Variant {
  if (rng.chance(0.6)) {
    return {
      name: "manual checkpoints",
      shape: { phases: rng.between(4, 14), inFlightMax: 5, undo: true, archive: true, reopen: true, checkpointOnClose: rng.chance(0.5) },
      options: { clock: fixedClock, checkpointThreshold: 0 },
    };
  }
  return {
    name: "auto checkpoints",
    shape: { phases: rng.between(4, 14), inFlightMax: 6, undo: true, archive: true, reopen: true, checkpointOnClose: rng.chance(0.5) },
    options: { clock: fixedClock, checkpointThreshold: rng.between(2, 9) },
  };
}

function newFileSystem(workloadSeed: number, lieAboutFileSync = false): SimFileSystem {
  const fs = new SimFileSystem({ seed: workloadSeed ^ 0x5eed, traceLength: process.env["OPSLOG_TRACE"] ? 100000 : 40, lieAboutFileSync });
  fs.mkdirDurable("/data");
  return fs;
}

/** Runs the workload without a crash: the number of calls it makes, and a check of the model. */
async function dryRun(workloadSeed: number): Promise<number> {
  const rng = new Random(workloadSeed);
  const variant = variantFor(rng);
  const fs = newFileSystem(workloadSeed);
  const dir = freshDir();
  const run = await runWorkload({
    fs, dir, rng, shape: variant.shape, options: { ...variant.options, fileSystem: fs },
    checkModel: true, phaseTimeoutMs,
  });
  if (run.openError) throw run.openError;
  await run.store?.close();
  return fs.calls;
}

/** One crash point: returns a failure description, or undefined when every check held. */
async function crashTrial(workloadSeed: number, step: number, lying = false): Promise<string | undefined> {
  const rng = new Random(workloadSeed);
  const variant = variantFor(rng);
  const fs = newFileSystem(workloadSeed, lying);
  const dir = freshDir();
  fs.crashAt(step);
  let run: RunResult;
  try {
    run = await runWorkload({
      fs, dir, rng, shape: variant.shape, options: { ...variant.options, fileSystem: fs },
      checkModel: false, phaseTimeoutMs,
    });
  } catch (error) {
    return `${String(error)} (crash at call ${step})\nlast fs calls:\n${fs.trace.join("\n")}`;
  }
  const crashedDuringRun = fs.crashed;
  if (process.env["OPSLOG_TRACE"]) console.log(`${describeIssued(run.issued)}\n${fs.trace.join("\n")}`);
  let after = fs.crash();
  await abandon(run.store);
  const context = () =>
    `variant: ${variant.name}\ncalls:\n${describeIssued(run.issued)}\nlast fs calls:\n${fs.trace.join("\n")}`;
  const bad = unexpectedFailure(run.issued, crashedDuringRun, run.openError);
  if (bad) return `${bad}\n${context()}`;
  // The crashed process is gone; its successor finds the same disk (under a name this
  // process has not locked). Sometimes the successor crashes too, in the middle of recovery.
  let reopenDir = freshDir();
  if (after.stat(dir)) after.moveDurable(dir, reopenDir);
  if (rng.chance(0.3)) {
    const recoveryCrash = rng.between(1, 40);
    after.crashAt(after.calls + recoveryCrash);
    const doomed = new Store<unknown>();
    const opened = await doomed.open(reopenDir, { ...variant.options, fileSystem: after }).then(
      () => true,
      () => false,
    );
    after = after.crash();
    if (opened) await abandon(doomed);
    const next = freshDir();
    if (after.stat(reopenDir)) after.moveDurable(reopenDir, next);
    reopenDir = next;
  }
  const store = new Store<unknown>();
  try {
    await withTimeout(store.open(reopenDir, { ...variant.options, fileSystem: after }), phaseTimeoutMs, "reopen");
  } catch (error) {
    return `reopen after the crash failed: ${String(error)}\n${context()}`;
  }
  let recovered: Observed;
  try {
    recovered = await observe(store);
    const problem = mismatch(recovered, candidateModels(run.issued));
    if (problem) return `recovered state fits no candidate\n${problem}\n${context()}`;
  } finally {
    await store.close();
  }
  // The recovered directory must stay good: close (a checkpoint, if the variant does one on
  // close), open again, same state, and writable.
  const again = new Store<unknown>();
  try {
    await withTimeout(again.open(reopenDir, { ...variant.options, fileSystem: after }), phaseTimeoutMs, "second reopen");
  } catch (error) {
    return `the second open after the crash failed: ${String(error)}\n${context()}`;
  }
  try {
    const second = await observe(again);
    if (mismatch(second, [modelOf(recovered)])) return `the second open shows other data than the first\n${context()}`;
    await again.set("after-crash", step);
    expect(again.get("after-crash")).toBe(step);
  } finally {
    await again.close();
  }
  return undefined;
}

function modelOf(observed: Observed): Model {
  const model = new Model();
  model.active = new Map(observed.active);
  model.archive = new Map(observed.archive);
  return model;
}

/**
 * Before the crash nothing may fail, and nothing may throw synchronously. Whether the errors
 * after a crash are OpslogErrors (OPSLOG_IO) is io-faults.test.ts's business; here raw ones are
 * only counted (tests/regression/io-error-codes.test.ts).
 */
let rawErrors = 0;
function unexpectedFailure(issued: readonly Issued[], crashed: boolean, openError: unknown): string | undefined {
  if (openError !== undefined && (!crashed || !isOpslogError(openError))) {
    return `open failed: ${String(openError)}`;
  }
  for (const entry of issued) {
    if (entry.outcome !== "failed" || entry.error instanceof BatchAbort) continue;
    if (!crashed) return `${JSON.stringify(entry.intent)} failed without a crash: ${String(entry.error)}`;
    if (entry.threwSync) return `${JSON.stringify(entry.intent)} threw synchronously: ${String(entry.error)}`;
    if (!isOpslogError(entry.error)) rawErrors++;
  }
  return undefined;
}

function replayHint(workloadSeed: number, step: number): string {
  return (
    `\nreplay: OPSLOG_SEED=${seed} npx vitest run tests/simulation/crash.test.ts` +
    `\nthis trial only: OPSLOG_WORKLOAD_SEED=${workloadSeed} OPSLOG_CRASH_STEP=${step} ` +
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

  it(`explores ${crashPoints} crash points (OPSLOG_SEED=${seed})`, async () => {
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
        expect.fail(`the workload disagrees with the model (no crash): ${String(error)}${replayHint(workloadSeed, 0)}`);
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
        const kind = failure.split("\n")[0]!.replace(/'[^']*'/g, "'…'").replace(/\d+/g, "N").slice(0, 160);
        if (!found.has(kind)) found.set(kind, `crash at call ${step}: ${failure}${replayHint(workloadSeed, step)}`);
      }
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `crash simulation: ${explored} crash points in ${workloads} workloads ` +
        `(${calls} fs calls in dry runs) in ${seconds.toFixed(1)} s, OPSLOG_SEED=${seed}; ` +
        `calls rejected with a non-OpslogError after the crash: ${rawErrors}; failed trials: ${failed}`,
    );
    if (found.size > 0) console.log(`failure kinds:\n${[...found.keys()].join("\n")}`);
    expect([...found.keys()], [...found.values()].join("\n\n========\n\n")).toEqual([]);
    expect(explored).toBeGreaterThanOrEqual(crashPoints);
  }, 600_000);
});
