import { expect } from "vitest";
import { Store, type OpenOptions } from "../../src/index.js";
import { Model, type Observed } from "./model.js";
import { Random } from "./random.js";
import { SimFileSystem } from "./sim-fs.js";
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
} from "./workload.js";

/**
 * One crash-simulation trial (tests/simulation/crash.test.ts): a workload from its seed, a
 * power loss at a file-system call, and the checks on what the disk kept. Shared with the
 * regression tests that replay a trial.
 */
/** Figures for the summary line: calls rejected with a raw error after a crash (each one also
 * fails its trial) and second crashes during recovery. */
export const counters = { rawErrors: 0, recoveryCrashes: 0 };

/** A fresh directory name per run: a Store abandoned after a crash keeps its directory locked in
 * this process (tests/regression/close-after-io-failure-releases-lock.test.ts). */
let runs = 0;
const freshDir = (): string => `/data/store-${++runs}`;
const phaseTimeoutMs = 3_000;

interface Variant {
  name: string;
  shape: WorkloadShape;
  options: OpenOptions<unknown>;
}

/**
 * Checkpoints where the model knows (compact, close) or automatic ones every few operations;
 * OPSLOG_CRASH_RETENTION=1 gives every workload the retention variant (below).
 */
export function variantFor(rng: Random): Variant {
  if (variantChoice.retention || process.env["OPSLOG_CRASH_RETENTION"] === "1") return retentionVariant(rng);
  if (rng.chance(0.6)) {
    return {
      name: "manual checkpoints",
      shape: {
        phases: rng.between(4, 14), inFlightMax: 5, undo: true, archive: true, reopen: true,
        checkpointOnClose: rng.chance(0.3) ? undefined : rng.chance(0.5),
      },
      options: { clock: fixedClock, checkpointThreshold: 0 },
    };
  }
  return {
    name: "auto checkpoints",
    shape: {
      phases: rng.between(4, 14), inFlightMax: 6, undo: true, archive: true, reopen: true,
      checkpointOnClose: rng.chance(0.3) ? undefined : rng.chance(0.5),
    },
    options: { clock: fixedClock, checkpointThreshold: rng.between(2, 9) },
  };
}

/** Set by the test that explores the retention variant only. */
export const variantChoice = { retention: false };

/** Retention on (whole old segments pruned at checkpoints) and compact() running beside later
 * calls and background checkpoints. No undo or redo: pruning clips the undo stacks at times
 * this model cannot know (tests/property/interleavings.test.ts checks undo under retention). */
export function retentionVariant(rng: Random): Variant {
  return {
    name: "retention, concurrent compact",
    shape: {
      phases: rng.between(4, 12), inFlightMax: 6, undo: false, archive: true, reopen: true,
      checkpointOnClose: rng.chance(0.3) ? undefined : rng.chance(0.5), concurrentCompact: true,
    },
    options: { clock: fixedClock, checkpointThreshold: rng.between(1, 6), retain: { ops: rng.between(0, 3) } },
  };
}

function newFileSystem(workloadSeed: number, lieAboutFileSync = false): SimFileSystem {
  const traceLength = process.env["OPSLOG_TRACE"] ? 100_000 : 40;
  const fs = new SimFileSystem({ seed: workloadSeed ^ 0x5eed, traceLength, lieAboutFileSync });
  fs.mkdirDurable("/data");
  return fs;
}

/** Runs the workload without a crash: the number of calls it makes, and a check of the model. */
export async function dryRun(workloadSeed: number): Promise<number> {
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
export async function crashTrial(
  workloadSeed: number,
  step: number,
  lying = false,
): Promise<string | undefined> {
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
  if (process.env["OPSLOG_TRACE"]) {
    console.log(`${describeIssued(run.issued)}\n${fs.trace.join("\n")}`);
  }
  let after = fs.crash();
  await abandon(run.store);
  const context = () =>
    `variant: ${variant.name}\ncalls:\n${describeIssued(run.issued)}\n` +
    `last fs calls:\n${fs.trace.join("\n")}`;
  const bad = unexpectedFailure(run.issued, crashedDuringRun, run.openError);
  if (bad) return `${bad}\n${context()}`;
  // The crashed process is gone; its successor finds the same disk (under a name this
  // process has not locked). Sometimes the successor crashes too, in the middle of recovery.
  let reopenDir = freshDir();
  if (after.stat(dir)) after.moveDurable(dir, reopenDir);
  if (rng.chance(0.3)) {
    const recoveryCrash = rng.between(1, 40);
    counters.recoveryCrashes++;
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
    const opening = store.open(reopenDir, { ...variant.options, fileSystem: after });
    await withTimeout(opening, phaseTimeoutMs, "reopen");
  } catch (error) {
    return `reopen after the crash failed: ${String(error)}\n${context()}`;
  }
  let recovered: Observed;
  try {
    recovered = await observe(store);
    const problem = mismatch(recovered, candidateModels(run.issued));
    if (problem) return `recovered state fits no candidate\n${problem}\n${context()}`;
  } catch (error) {
    // Reading the recovered store (an archive segment, say) failed: that is a finding too.
    return `reading the recovered store failed: ${String(error)}\n${context()}`;
  } finally {
    await store.close().catch(() => undefined);
  }
  // The recovered directory must stay good: close (a checkpoint, if the variant does one on
  // close), open again, same state, and writable.
  const again = new Store<unknown>();
  try {
    const opening = again.open(reopenDir, { ...variant.options, fileSystem: after });
    await withTimeout(opening, phaseTimeoutMs, "second reopen");
  } catch (error) {
    return `the second open after the crash failed: ${String(error)}\n${context()}`;
  }
  try {
    const second = await observe(again);
    if (mismatch(second, [modelOf(recovered)])) {
      return `the second open shows other data than the first\n${context()}`;
    }
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
 * Before the crash nothing may fail, and nothing may throw synchronously (but a delete issued
 * after the crash may find its record gone: an argument error); after it, every failure is an
 * OpslogError (tests/regression/io-error-codes.test.ts).
 */
function unexpectedFailure(
  issued: readonly Issued[],
  crashed: boolean,
  openError: unknown,
): string | undefined {
  if (openError !== undefined && (!crashed || !isOpslogError(openError))) {
    return `open failed: ${String(openError)}`;
  }
  for (const entry of issued) {
    if (entry.outcome !== "failed" || entry.error instanceof BatchAbort) continue;
    const call = JSON.stringify(entry.intent);
    if (!crashed) return `${call} failed without a crash: ${String(entry.error)}`;
    const notFound = isOpslogError(entry.error) && entry.error.code === "OPSLOG_NOT_FOUND";
    const argumentError = entry.afterFailure === true && notFound;
    if (entry.threwSync && !argumentError) {
      return `${call} threw synchronously: ${String(entry.error)}`;
    }
    if (!isOpslogError(entry.error)) {
      counters.rawErrors++;
      return `${call} failed with a raw error after the crash: ${String(entry.error)}`;
    }
  }
  return undefined;
}

