import { isDeepStrictEqual } from "node:util";
import { OpslogError, Store, type OpenOptions } from "../../src/index.js";
import {
  archiveFits,
  describeRecords,
  Model,
  sameRecords,
  type Change,
  type Intent,
  type Observed,
} from "./model.js";
import type { Random } from "./random.js";
import type { SimFileSystem } from "./sim-fs.js";

/**
 * Random workloads for the simulation tests, generated phase by phase from the model, and a
 * runner that issues them against a real Store (several calls in flight per phase, none
 * awaited until the phase ends) and records what each call resolved or rejected with.
 */
export interface WorkloadShape {
  phases: number;
  /** Most calls issued without awaiting in one phase. */
  inFlightMax: number;
  undo: boolean;
  archive: boolean;
  reopen: boolean;
  /** Passed to every open: whether a close checkpoints. */
  checkpointOnClose: boolean | undefined;
  /** A compact() does not end its phase: later calls start while it runs (beside background
   * checkpoints, when the variant has them). */
  concurrentCompact?: boolean;
}

export interface Issued {
  intent: Intent;
  /** What the model said the call resolves to (undo: boolean; archive: count). */
  expected: unknown;
  outcome: "pending" | "acked" | "failed";
  result?: unknown;
  error?: unknown;
  /** The call threw synchronously (argument errors only, by SPEC §1). */
  threwSync?: boolean;
  /** The phase the call was issued in (calls of one phase are in flight together). */
  phase?: number;
  /** The file system had already crashed or failed a call when this call was issued: the
   * store may have lost a change the generator counted on (a delete may find no record). */
  afterFailure?: boolean;
}

/** A fixed clock (epoch microseconds): timestamps then advance by exactly 1 µs per op. */
export const fixedClock = (): number => 1_700_000_000_000_000;

const ids = [
  "a", "b", "c", "d", "e", "f", "g", "__proto__", "constructor", "ünï 🦄", "x/y", "new\nline",
];

function randomValue(rng: Random, n: number): unknown {
  switch (rng.int(5)) {
    case 0:
      return n;
    case 1:
      return `v${n}-${"é\"\\\n".slice(0, rng.int(5))}`;
    case 2:
      return { n, tags: ["t", rng.int(3)], nested: { ok: rng.chance(0.5), none: null } };
    case 3:
      return [n, { deep: [n, [n]] }];
    default:
      return { n, text: "x".repeat(rng.int(300)) };
  }
}

/** Generates the intents of one phase; applies them to `model` (the state after issuing). */
export function nextPhase(
  rng: Random,
  model: Model,
  shape: WorkloadShape,
  counter: { n: number },
): Intent[] {
  const roll = rng.next();
  if (shape.reopen && roll < 0.06) {
    return [{ kind: "reopen", checkpointOnClose: shape.checkpointOnClose }];
  }
  const count = rng.between(1, shape.inFlightMax);
  const intents: Intent[] = [];
  for (let i = 0; i < count; i++) {
    const intent = nextIntent(rng, model, shape, counter);
    model.apply(intent);
    intents.push(intent);
    // A checkpoint covers, and an archive's predicate sees, everything issued before it runs
    // (a tick later): so that the model knows what they cover, they end their phase.
    if (intent.kind === "compact" && shape.concurrentCompact === true) continue;
    if (intent.kind === "compact" || intent.kind === "archive") break;
  }
  return intents;
}

function nextIntent(
  rng: Random,
  model: Model,
  shape: WorkloadShape,
  counter: { n: number },
): Intent {
  const present = [...model.active.keys()];
  const roll = rng.next();
  counter.n++;
  if (roll < 0.4 || present.length === 0) {
    return { kind: "set", id: rng.pick(ids), value: randomValue(rng, counter.n) };
  }
  if (roll < 0.55) return { kind: "delete", id: rng.pick(present) };
  if (roll < 0.75) {
    const kind = rng.chance(0.15) ? "failingBatch" : "batch";
    return { kind, changes: batchChanges(rng, model, counter) };
  }
  if (roll < 0.85 && shape.undo) return { kind: rng.chance(0.7) ? "undo" : "redo" };
  if (roll < 0.92) return { kind: "compact" };
  if (shape.archive) {
    const chosen = present.filter(() => rng.chance(0.4));
    return { kind: "archive", ids: chosen, segment: rng.pick(["old", "2024-q1"]) };
  }
  return { kind: "set", id: rng.pick(ids), value: randomValue(rng, counter.n) };
}

function batchChanges(rng: Random, model: Model, counter: { n: number }): Change[] {
  const live = new Set(model.active.keys());
  const changes: Change[] = [];
  const size = rng.int(6);
  for (let i = 0; i < size; i++) {
    if (live.size > 0 && rng.chance(0.3)) {
      const id = rng.pick([...live]);
      live.delete(id);
      changes.push({ id });
    } else {
      const id = rng.pick(ids);
      live.add(id);
      changes.push({ id, value: randomValue(rng, counter.n++) });
    }
  }
  return changes;
}

export class BatchAbort extends Error {
  constructor() {
    super("batch callback failed on purpose");
  }
}

export type AnyStore = Store<unknown>;

/** Issues one intent; the returned promise never rejects (the outcome is recorded). */
export function issue(store: AnyStore, entry: Issued): Promise<void> {
  const { intent } = entry;
  let promise: Promise<unknown>;
  try {
    promise = call(store, intent);
  } catch (error) {
    entry.outcome = "failed";
    entry.error = error;
    entry.threwSync = true;
    return Promise.resolve();
  }
  return promise.then(
    (result) => {
      entry.outcome = "acked";
      entry.result = result;
    },
    (error: unknown) => {
      entry.outcome = "failed";
      entry.error = error;
    },
  );
}

function call(store: AnyStore, intent: Intent): Promise<unknown> {
  switch (intent.kind) {
    case "set":
      return store.set(intent.id, intent.value);
    case "delete":
      return store.delete(intent.id);
    case "batch":
    case "failingBatch":
      return store.batch(() => {
        for (const change of intent.changes) {
          if (change.value === undefined) void store.delete(change.id);
          else void store.set(change.id, change.value);
        }
        if (intent.kind === "failingBatch") throw new BatchAbort();
      });
    case "undo":
      return store.undo();
    case "redo":
      return store.redo();
    case "compact":
      return store.compact();
    case "archive": {
      const chosen = new Set(intent.ids);
      return store.archive((_value, id) => chosen.has(id), intent.segment);
    }
    case "reopen":
      throw new Error("reopen is issued by the runner");
  }
}

export async function observe(store: AnyStore): Promise<Observed> {
  const active = new Map(store.entries());
  const archive = new Map<string, Map<string, unknown>>();
  for (const segment of store.listArchiveSegments()) {
    archive.set(segment, new Map(await store.loadArchive(segment)));
  }
  return { active, archive };
}

/** Whether a call has anything to make durable (an archive of nothing, an undo with nothing to
 * undo and an empty batch resolve without I/O, even after a crash). */
function writes(entry: Issued): boolean {
  const { intent } = entry;
  if (intent.kind === "undo" || intent.kind === "redo") return entry.expected === true;
  if (intent.kind === "archive") return entry.expected !== 0;
  if (intent.kind === "batch") return intent.changes.length > 0;
  return intent.kind !== "failingBatch";
}

/** The states a store may recover to, enumerated lazily (there can be many). */
export interface Candidates {
  /** Enough models to know every value an archive may hold. */
  universe: Model[];
  each(): Iterable<Model>;
}

/**
 * The models the store may recover to: replay of the acknowledged calls up to the last one
 * that wrote, then, of the calls after it, any prefix of each phase's calls. Within a phase the
 * calls reach the log in call order (save an undo or redo that failed reading the history, see
 * failedBeforeTheLog); but a call that failed was reverted in memory before the
 * next phase was issued, so a later phase's calls may be on disk without it. (Without failures
 * before a crash, only the last phase follows the last acknowledgement: a plain prefix.)
 */
export function candidateModels(issued: readonly Issued[]): Candidates {
  let last = -1;
  issued.forEach((entry, i) => {
    if (entry.outcome === "acked" && writes(entry)) last = i;
  });
  const base = new Model();
  issued.forEach((entry, i) => {
    if (i <= last && entry.outcome === "acked" && !resolvedAsNoOp(entry)) base.apply(entry.intent);
  });
  const phases: Issued[][] = [];
  for (const entry of issued.slice(last + 1)) {
    if (entry.threwSync || resolvedAsNoOp(entry)) continue;
    const current = phases[phases.length - 1];
    if (current && current[0]!.phase === entry.phase) current.push(entry);
    else phases.push([entry]);
  }
  const universe = [base.clone()];
  const everything = base.clone();
  for (const entry of phases.flat()) {
    everything.apply(entry.intent);
    universe.push(everything.clone());
  }
  function* visit(model: Model, phase: number): Generator<Model> {
    if (!phases[phase]) {
      yield model;
      return;
    }
    yield* within(model, phase, 0);
  }
  /** The phase's calls from `i` on: a prefix, past calls that failed before the log. */
  function* within(model: Model, phase: number, i: number): Generator<Model> {
    const entry = phases[phase]![i];
    if (!entry) {
      yield* visit(model, phase + 1);
      return;
    }
    // Stopping before a call that may be skipped is the same state as skipping it.
    if (failedBeforeTheLog(entry)) yield* within(model, phase, i + 1);
    else yield* visit(model, phase + 1);
    const next = model.clone();
    next.apply(entry.intent);
    yield* within(next, phase, i + 1);
  }
  return { universe, each: () => visit(base, 0) };
}

/**
 * An undo or redo reads the history at its call, before it changes memory or queues anything:
 * when that read fails, the call never reaches the log, and later calls of its phase may.
 */
function failedBeforeTheLog(entry: Issued): boolean {
  const { kind } = entry.intent;
  if (kind !== "undo" && kind !== "redo") return false;
  if (entry.outcome !== "failed" || !isOpslogError(entry.error)) return false;
  return entry.error.code === "OPSLOG_IO" && entry.error.message.startsWith("reading the history");
}

/**
 * Models of archive calls that failed after their segment file (and the manifest naming it)
 * may have reached the disk: the records then sit in the archive and in the active state, as
 * after a crash between the two (src/engine/archiver.ts).
 */
export function failedArchives(issued: readonly Issued[]): Model[] {
  // The predicate ran over the state in memory, which included calls still in flight (and
  // possibly failing later): replay everything issued, not only what was acknowledged.
  const model = new Model();
  const extras: Model[] = [];
  for (const entry of issued) {
    if (entry.threwSync) continue;
    if (entry.intent.kind === "archive" && entry.outcome === "failed") {
      const attempt = model.clone();
      attempt.apply(entry.intent);
      extras.push(attempt);
    }
    model.apply(entry.intent);
  }
  return extras;
}

/** A bound on the search, reached only when nothing fits (there is a failure to report). */
const candidatesCheckedMax = 200_000;

function isCandidates(value: Candidates | readonly Model[]): value is Candidates {
  return !Array.isArray(value);
}

/** Undefined when `observed` equals some candidate; otherwise a description of the mismatch. */
export function mismatch(
  observed: Observed,
  candidates: Candidates | readonly Model[],
  extras: readonly Model[] = [],
): string | undefined {
  const all: Candidates = isCandidates(candidates)
    ? candidates
    : { universe: [...candidates], each: () => candidates };
  const universe = [...all.universe, ...extras];
  const shown: Model[] = [];
  let checked = 0;
  for (const candidate of all.each()) {
    if (sameRecords(observed.active, candidate.active) && archiveFits(observed, candidate, universe)) {
      return undefined;
    }
    if (shown.length < 12) shown.push(candidate);
    if (++checked >= candidatesCheckedMax) break;
  }
  const lines = [`recovered: ${describeRecords(observed.active)} (${checked} candidates checked)`];
  const describeArchive = (archive: Map<string, Map<string, unknown>>): void => {
    for (const [segment, records] of archive) {
      lines.push(`  archive ${segment}: ${describeRecords(records)}`);
    }
  };
  describeArchive(observed.archive);
  shown.forEach((c, i) => {
    lines.push(`candidate ${i}: ${describeRecords(c.active)}`);
    describeArchive(c.archive);
  });
  return lines.join("\n");
}

export function describeIssued(issued: readonly Issued[]): string {
  return issued
    .map((e, i) => {
      const what = JSON.stringify(e.intent).slice(0, 160);
      const why = (e.error as Error | undefined)?.message ?? String(e.error);
      const how = e.outcome === "failed" ? `failed: ${why}` : e.outcome;
      return `#${i} ${what} -> ${how}`;
    })
    .join("\n");
}

/** Checks that a store's live state equals the model (a check of the model itself). */
export async function expectMatches(store: AnyStore, model: Model, context: string): Promise<void> {
  const observed = await observe(store);
  const problem = mismatch(observed, [model]);
  if (problem) throw new Error(`${context}: the store disagrees with the model\n${problem}`);
}

export function isOpslogError(error: unknown): error is OpslogError {
  return error instanceof OpslogError;
}

export interface RunContext {
  fs: SimFileSystem;
  dir: string;
  rng: Random;
  shape: WorkloadShape;
  options: OpenOptions<unknown>;
  /** Compare the store with the model after every phase (only meaningful without faults). */
  checkModel: boolean;
  /** Longest wait for a phase to settle before it counts as a hang. */
  phaseTimeoutMs: number;
}

export interface RunResult {
  issued: Issued[];
  store: AnyStore | undefined;
  /** The open (first or reopen) failed with this error. */
  openError?: unknown;
}

/**
 * Runs a workload to its end or until the file system crashes or the store refuses to open.
 * Phases are generated from the model of acknowledged calls, so a replay with the same seed
 * and the same outcomes issues the same calls.
 */
export async function runWorkload(ctx: RunContext): Promise<RunResult> {
  const issued: Issued[] = [];
  const counter = { n: 0 };
  let store: AnyStore | undefined = new Store<unknown>();
  const result: RunResult = { issued, store };
  ctx = { ...ctx, options: { ...ctx.options, checkpointOnClose: ctx.shape.checkpointOnClose } };
  try {
    await withTimeout(store.open(ctx.dir, ctx.options), ctx.phaseTimeoutMs, "open");
  } catch (error) {
    result.openError = error;
    result.store = undefined;
    return result;
  }
  for (let phase = 0; phase < ctx.shape.phases && !ctx.fs.crashed; phase++) {
    const acked = ackedModel(issued);
    const intents = nextPhase(ctx.rng, acked.clone(), ctx.shape, counter);
    if (intents[0]?.kind === "reopen") {
      const entry: Issued = { intent: intents[0], expected: undefined, outcome: "pending", phase };
      issued.push(entry);
      store = await reopen(store, ctx, entry);
      result.store = store;
      if (!store) return result;
      continue;
    }
    const model = acked.clone();
    const entries: Issued[] = intents.map((intent) => ({
      intent, expected: model.apply(intent), outcome: "pending",
    }));
    issued.push(...entries);
    const settled = entries.map((e) => {
      e.phase = phase;
      e.afterFailure = ctx.fs.crashed || ctx.fs.faultsFired.length > 0;
      return issue(store!, e);
    });
    await withTimeout(Promise.all(settled), ctx.phaseTimeoutMs, `phase ${phase}`);
    if (ctx.checkModel && !ctx.fs.crashed) {
      await checkPhase(store, entries, model, phase).catch((error: unknown) => {
        throw new Error(`${String(error)}\ncalls:\n${describeIssued(issued)}`);
      });
    }
  }
  return result;
}

async function reopen(
  store: AnyStore,
  ctx: RunContext,
  entry: Issued,
): Promise<AnyStore | undefined> {
  try {
    await withTimeout(store.close(), ctx.phaseTimeoutMs, "close");
    const next = new Store<unknown>();
    await withTimeout(next.open(ctx.dir, ctx.options), ctx.phaseTimeoutMs, "reopen");
    entry.outcome = "acked";
    return next;
  } catch (error) {
    entry.outcome = "failed";
    entry.error = error;
    return undefined;
  }
}

async function checkPhase(
  store: AnyStore,
  entries: Issued[],
  model: Model,
  phase: number,
): Promise<void> {
  for (const e of entries) {
    if (e.intent.kind === "failingBatch") {
      if (e.outcome !== "failed" || !(e.error instanceof BatchAbort)) {
        const got = String(e.error);
        throw new Error(`phase ${phase}: a failing batch did not reject with its own error: ${got}`);
      }
      continue;
    }
    if (e.outcome !== "acked") {
      throw new Error(`phase ${phase}: ${JSON.stringify(e.intent)} failed: ${String(e.error)}`);
    }
    const checked = ["undo", "redo", "archive"].includes(e.intent.kind);
    if (checked && !isDeepStrictEqual(e.result, e.expected)) {
      const says = `${String(e.result)}, model says ${String(e.expected)}`;
      throw new Error(`phase ${phase}: ${e.intent.kind} resolved ${says}`);
    }
  }
  await expectMatches(store, model, `after phase ${phase}`);
}

/** The model of every acknowledged call, in call order. */
export function ackedModel(issued: readonly Issued[]): Model {
  const model = new Model();
  for (const entry of issued) {
    if (entry.outcome === "acked" && !resolvedAsNoOp(entry)) model.apply(entry.intent);
  }
  return model;
}

/**
 * An undo or redo that resolved false found nothing to do at its call (the stack it saw was
 * shaped by calls in flight that may have failed since): replaying it could do something.
 */
function resolvedAsNoOp(entry: Issued): boolean {
  const { kind } = entry.intent;
  const undoOrRedo = kind === "undo" || kind === "redo";
  return undoOrRedo && entry.outcome === "acked" && entry.result === false;
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: ${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Closes a store whose file system died, ignoring the (expected) failure. */
export async function abandon(store: AnyStore | undefined): Promise<void> {
  if (!store) return;
  try {
    await withTimeout(store.close(), 5000, "close after crash");
  } catch {
    // The file system is dead: close fails, which is what a killed process does too.
  }
}
