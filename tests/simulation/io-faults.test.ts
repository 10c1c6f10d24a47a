import { describe, expect, it } from "vitest";
import { Store, type OpenOptions } from "../../src/index.js";
import { countFromEnv, Random, seedFromEnv } from "../helpers/random.js";
import { SimFileSystem, type ErrnoCode } from "../helpers/sim-fs.js";
import {
  abandon,
  ackedModel,
  BatchAbort,
  candidateModels,
  describeIssued,
  failedArchives,
  fixedClock,
  isOpslogError,
  issue,
  mismatch,
  observe,
  runWorkload,
  withTimeout,
  type Issued,
  type RunResult,
  type WorkloadShape,
} from "../helpers/workload.js";
import { sameRecords, describeRecords } from "../helpers/model.js";

/**
 * I/O error injection (SPEC §2.1, §2.6): fail the Nth file-system call, for N = 1, 2, … through
 * a workload, once and forever, with EIO, ENOSPC and EACCES (a failed fsync loses the pending
 * writes, as on Linux). Then:
 * - the call in flight rejects with OPSLOG_IO, every later failure is an OpslogError, nothing
 *   throws synchronously;
 * - the store's memory holds exactly the acknowledged calls, and it either keeps working or
 *   refuses writes with an OpslogError;
 * - after a power loss (and, for single faults, after a plain restart first), the directory
 *   opens and holds every acknowledged call, equal to the model at some point between the last
 *   acknowledged and the last issued call.
 * Problems are gathered by kind and reported together, each with the line that replays it.
 */
const seed = seedFromEnv();
const workloadCount = countFromEnv("OPSLOG_FAULT_WORKLOADS", 2);
const retentionWorkloadCount = countFromEnv("OPSLOG_FAULT_RETENTION_WORKLOADS", 1);
const codes: ErrnoCode[] = ["EIO", "ENOSPC", "EACCES"];
const phaseTimeoutMs = 10_000;
let runs = 0;
const freshDir = (): string => `/data/faults-${++runs}`;

interface Workload {
  seed: number;
  shape: WorkloadShape;
  options: OpenOptions<unknown>;
}

/** Even workload seeds checkpoint on compact and close only; odd ones every 4 operations too. */
function workloadFor(workloadSeed: number): Workload {
  const rng = new Random(workloadSeed);
  const auto = workloadSeed % 2 === 1;
  return {
    seed: workloadSeed,
    shape: {
      phases: 8, inFlightMax: 4, undo: true, archive: true, reopen: true,
      checkpointOnClose: rng.chance(0.5),
    },
    options: { clock: fixedClock, checkpointThreshold: auto ? 4 : 0 },
  };
}

/**
 * Retention on (old segments pruned at checkpoints every 3 operations) and compact() running
 * beside later calls; no undo (pruning clips the undo stacks where the model cannot see).
 */
function retentionWorkloadFor(workloadSeed: number): Workload {
  const rng = new Random(workloadSeed);
  return {
    seed: workloadSeed,
    shape: {
      phases: 8, inFlightMax: 4, undo: false, archive: true, reopen: true,
      checkpointOnClose: rng.chance(0.5), concurrentCompact: true,
    },
    options: { clock: fixedClock, checkpointThreshold: 3, retain: { ops: workloadSeed % 3 } },
  };
}

function run(w: Workload, fs: SimFileSystem, dir: string, checkModel: boolean): Promise<RunResult> {
  return runWorkload({
    fs, dir, rng: new Random(w.seed ^ 0x10), shape: w.shape,
    options: { ...w.options, fileSystem: fs }, checkModel, phaseTimeoutMs,
  });
}

interface Fault {
  step: number;
  code: ErrnoCode;
  forever: boolean;
}

/** Checks one fault; returns the problems found (empty when all held) or undefined when the
 * workload ended before the fault's call. */
async function faultTrial(w: Workload, fault: Fault): Promise<string[] | undefined> {
  const fs = new SimFileSystem({ seed: w.seed, traceLength: process.env["OPSLOG_TRACE"] ? 400 : 0 });
  fs.mkdirDurable("/data");
  // A disk that fills up may take part of a write before ENOSPC.
  const partialWrites = fault.code === "ENOSPC";
  fs.failAt({ at: fault.step, code: fault.code, forever: fault.forever, partialWrites });
  const dir = freshDir();
  const result = await run(w, fs, dir, false);
  const problems: string[] = [];
  if (fs.faultsFired.length === 0 && result.store) {
    // The fault may fall on the final close (with its checkpoint).
    const closing = result.store;
    result.store = undefined;
    const error = await closing.close().then(() => undefined, (e: unknown) => e);
    if (fs.faultsFired.length === 0) return undefined;
    if (error !== undefined && !(isOpslogError(error) && error.code === "OPSLOG_IO")) {
      problems.push(`close() did not reject with OPSLOG_IO: ${describeError(error)}`);
    }
  }
  problems.push(...checkErrors(result));
  if (result.store) problems.push(...(await checkLiveStore(result.store, result.issued, fault)));
  let disk = fs;
  let currentDir = dir;
  let restarted: Map<string, unknown> | undefined;
  if (!fault.forever) {
    // A plain restart first: the process closes (or gives up) and a new one opens.
    await abandon(result.store);
    fs.clearFaults();
    const reopened = await reopenAndCheck(fs, currentDir, w, result.issued, "restart");
    problems.push(...reopened.problems);
    restarted = reopened.active;
    currentDir = reopened.dir;
  }
  const after = disk.crash();
  if (fault.forever) await abandon(result.store);
  disk = after;
  const recovered = await reopenAndCheck(disk, currentDir, w, result.issued, "crash");
  problems.push(...recovered.problems);
  if (restarted && recovered.active && !sameRecords(restarted, recovered.active)) {
    problems.push(
      `state after restart + clean close differs after a power loss\n` +
        `restart: ${describeRecords(restarted)}\ncrash: ${describeRecords(recovered.active)}`,
    );
  }
  const trace = fs.trace.length > 0 ? `\nfs calls:\n${fs.trace.join("\n")}` : "";
  return problems.map((p) => `${p}\ncalls:\n${describeIssued(result.issued)}${trace}`);
}

function checkErrors(result: RunResult): string[] {
  const problems: string[] = [];
  const failures: unknown[] = [];
  if (result.openError !== undefined) failures.push(result.openError);
  for (const entry of result.issued) {
    if (entry.outcome !== "failed" || entry.error instanceof BatchAbort) continue;
    // A delete issued after an earlier call of its phase failed may find no record: that is
    // an argument error (thrown at the call), not an I/O failure.
    const notFound = isOpslogError(entry.error) && entry.error.code === "OPSLOG_NOT_FOUND";
    if (entry.afterFailure && notFound) continue;
    if (entry.threwSync) {
      problems.push(`${entry.intent.kind} threw synchronously: ${String(entry.error)}`);
    }
    failures.push(entry.error);
  }
  const first = failures[0];
  if (first !== undefined && !(isOpslogError(first) && first.code === "OPSLOG_IO")) {
    problems.push(`the call in flight did not reject with OPSLOG_IO: ${describeError(first)}`);
  }
  for (const error of failures.slice(1)) {
    if (!isOpslogError(error)) problems.push(`a later call failed with a raw error: ${describeError(error)}`);
  }
  return problems;
}

function describeError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return `${error instanceof Error ? error.name : typeof error} ${String(code)}: ${String(error)}`;
}

/** In memory: exactly the acknowledged calls. Then one more write: done, or refused clearly. */
async function checkLiveStore(
  store: Store<unknown>,
  issued: Issued[],
  fault: Fault,
): Promise<string[]> {
  const problems: string[] = [];
  const expected = ackedModel(issued);
  const active = new Map(store.entries());
  if (!sameRecords(active, expected.active)) {
    problems.push(
      `memory holds other than the acknowledged calls after a failure\n` +
        `memory: ${describeRecords(active)}\nacknowledged: ${describeRecords(expected.active)}`,
    );
  }
  const probe: Issued = {
    intent: { kind: "set", id: "probe", value: fault.step }, expected: undefined, outcome: "pending",
    phase: Number.MAX_SAFE_INTEGER,
  };
  issued.push(probe);
  await withTimeout(issue(store, probe), phaseTimeoutMs, "probe write");
  if (probe.outcome === "acked" && store.get("probe") !== fault.step) {
    problems.push("a write acknowledged after the failure is not readable");
  }
  const clear = isOpslogError(probe.error) && probe.error.message.length > 0;
  if (probe.outcome === "failed" && !clear) {
    problems.push(`a write after the failure was refused unclearly: ${describeError(probe.error)}`);
  }
  if (probe.threwSync) {
    problems.push(`a write after the failure threw synchronously: ${describeError(probe.error)}`);
  }
  return problems;
}

async function reopenAndCheck(
  fs: SimFileSystem,
  dir: string,
  w: Workload,
  issued: readonly Issued[],
  how: string,
): Promise<{ problems: string[]; active?: Map<string, unknown>; dir: string }> {
  const next = freshDir();
  if (fs.stat(dir)) fs.moveDurable(dir, next);
  const store = new Store<unknown>();
  try {
    const opening = store.open(next, { ...w.options, fileSystem: fs });
    await withTimeout(opening, phaseTimeoutMs, `open after ${how}`);
  } catch (error) {
    return { problems: [`open after a ${how} failed: ${describeError(error)}`], dir: next };
  }
  try {
    const observed = await observe(store);
    const problem = mismatch(observed, candidateModels(issued), failedArchives(issued));
    const problems = problem ? [`after a ${how} the state fits no candidate\n${problem}`] : [];
    return { problems, active: observed.active, dir: next };
  } finally {
    await store.close();
  }
}

function replay(w: Workload, fault: Fault): string {
  return (
    `OPSLOG_WORKLOAD_SEED=${w.seed} OPSLOG_FAULT_STEP=${fault.step} OPSLOG_FAULT_CODE=${fault.code} ` +
    `OPSLOG_FAULT_FOREVER=${fault.forever ? 1 : 0} npx vitest run tests/simulation/io-faults.test.ts`
  );
}

async function dryRun(w: Workload): Promise<number> {
  const fs = new SimFileSystem({ seed: w.seed });
  fs.mkdirDurable("/data");
  const result = await run(w, fs, freshDir(), true);
  if (result.openError) throw result.openError;
  await result.store?.close();
  return fs.calls;
}

describe("I/O fault injection", () => {
  const single = process.env["OPSLOG_WORKLOAD_SEED"];
  if (single) {
    it("replays one fault", async () => {
      const retention = process.env["OPSLOG_FAULT_RETENTION"] === "1";
      const w = (retention ? retentionWorkloadFor : workloadFor)(Number(single));
      await dryRun(w);
      const fault: Fault = {
        step: Number(process.env["OPSLOG_FAULT_STEP"] ?? "1"),
        code: (process.env["OPSLOG_FAULT_CODE"] ?? "EIO") as ErrnoCode,
        forever: process.env["OPSLOG_FAULT_FOREVER"] === "1",
      };
      expect(await faultTrial(w, fault)).toEqual([]);
    });
    return;
  }

  it(`fails call N = 1, 2, … once and forever with ${codes.join("/")} (OPSLOG_SEED=${seed})`, async () => {
    const master = new Random(seed);
    // Alternate the two kinds of workload (see workloadFor).
    const workloads = Array.from({ length: workloadCount }, (_, i) =>
      workloadFor(Math.floor(master.nextUint32() / 2) * 2 + (i % 2)),
    );
    await explore(workloads, "");
  }, 600_000);

  it("the same with retention on and compact() running beside later calls", async () => {
    const master = new Random(seed ^ 0x7e7a1);
    const workloads = Array.from({ length: retentionWorkloadCount }, () => retentionWorkloadFor(master.nextUint32()));
    await explore(workloads, "OPSLOG_FAULT_RETENTION=1 ");
  }, 600_000);
});

async function explore(workloads: readonly Workload[], replayPrefix: string): Promise<void> {
  {
    const found = new Map<string, string>();
    const started = Date.now();
    let tried = 0;
    let fired = 0;
    for (const w of workloads) {
      const total = await dryRun(w);
      for (let step = 1; step <= total; step++) {
        for (const code of codes) {
          for (const forever of [false, true]) {
            const fault = { step, code, forever };
            tried++;
            const problems = await faultTrial(w, fault);
            if (problems === undefined) continue;
            fired++;
            for (const problem of problems) {
              const kind = problem
                .split("\n")[0]!
                .replace(/'[^']*'/g, "'…'")
                .replace(/\b(EIO|ENOSPC|EACCES)\b/g, "E…")
                .replace(/\d+/g, "N")
                .slice(0, 160);
              if (!found.has(kind)) found.set(kind, `${problem}\nreplay: ${replayPrefix}${replay(w, fault)}`);
            }
          }
        }
      }
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`io faults: ${fired} faults injected (${tried} tried) in ${seconds} s, OPSLOG_SEED=${seed}`);
    const report = [...found.values()].join("\n\n========\n\n");
    if (found.size > 0) console.log(`problem kinds:\n${[...found.keys()].join("\n")}`);
    expect([...found.keys()], report).toEqual([]);
    expect(fired).toBeGreaterThan(100);
  }
}
