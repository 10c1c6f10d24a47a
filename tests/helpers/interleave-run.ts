import { OpslogError, Store, type OpenOptions } from "../../src/index.js";
import {
  HistoryModel,
  isPlainObject,
  migrationTo,
  objectOf,
  opText,
  recordsText,
  text,
} from "./history-model.js";
import { withTimeout } from "./workload.js";

/** Longest wait for calls, a close or an open to settle before it counts as a hang. */
const settleTimeoutMs = 5_000;

/**
 * The runner of tests/property/interleavings.test.ts: issues generated steps against a Store
 * and the same calls against the HistoryModel, without awaiting unless the step says so, and
 * compares the two by JSON text. Every mismatch throws, naming the step and what differed.
 */
export type Edit =
  | { action: "set"; key: string; value: unknown }
  | { action: "delete"; key: string }
  | { action: "reorder"; key: string }
  | { action: "nested"; key: string; inner: string; value: unknown };

export type Step =
  | { kind: "set"; id: string; value: unknown; wait: boolean }
  | { kind: "update"; id: string; base: Record<string, unknown>; edits: Edit[]; wait: boolean }
  | { kind: "delete"; id: string; wait: boolean }
  | { kind: "batch"; ops: { id: string; value?: unknown }[]; fail: boolean; wait: boolean }
  | { kind: "undo" | "redo" | "compact"; wait: boolean }
  | { kind: "archive"; ids: string[]; segment: string; wait: boolean }
  | { kind: "reopen"; migrate: boolean; doubleClose: boolean }
  /** Lets the calls in flight make progress (event-loop turns) without awaiting them. */
  | { kind: "pause"; turns: number };

export interface Config {
  retain: "all" | { ops: number };
  checkpointThreshold: number | undefined;
  checkpointOnClose: boolean | undefined;
}

export class PlannedAbort extends Error {
  constructor() {
    super("batch callback failed on purpose");
  }
}

/** A call in flight: what it must settle with, and what it did. */
interface Pending {
  what: string;
  expected: { resolves: unknown } | { rejects: PlannedAbort } | "compact";
  settled: boolean;
  /** The store was closed while it ran: a compact() may then reject with OPSLOG_CLOSED. */
  closedUnder: boolean;
  result?: unknown;
  error?: unknown;
  failed: boolean;
  done: Promise<void>;
}

const prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort().join();

/** Object.prototype neither frozen nor sealed nor given new members (SPEC §2.3). */
export function prototypeProblem(): string | undefined {
  if (Object.isFrozen(Object.prototype)) return "Object.prototype is frozen";
  if (!Object.isExtensible(Object.prototype)) return "Object.prototype is not extensible";
  const names = Object.getOwnPropertyNames(Object.prototype).sort().join();
  if (names !== prototypeNames) return `Object.prototype members changed: ${names}`;
  return undefined;
}

/** The new value of an update: edits of the current object, or `base` when there is none. */
export function updated(current: unknown, base: Record<string, unknown>, edits: readonly Edit[]): unknown {
  let value = isPlainObject(current) ? current : base;
  for (const e of edits) {
    const entries: [string, unknown][] = Object.keys(value).map((k) => [k, value[k]]);
    const at = entries.findIndex(([k]) => k === e.key);
    if (e.action === "set") {
      if (at >= 0) entries[at] = [e.key, e.value];
      else entries.push([e.key, e.value]);
    } else if (e.action === "delete") {
      if (at >= 0) entries.splice(at, 1);
    } else if (at >= 0 && isPlainObject(entries[at]![1])) {
      const inner = entries[at]![1] as Record<string, unknown>;
      const innerEntries: [string, unknown][] = Object.keys(inner).map((k) => [k, inner[k]]);
      if (e.action === "reorder") innerEntries.reverse();
      else if (!innerEntries.some(([k]) => k === e.inner)) innerEntries.push([e.inner, e.value]);
      else innerEntries[innerEntries.findIndex(([k]) => k === e.inner)] = [e.inner, e.value];
      entries[at] = [e.key, objectOf(innerEntries)];
    } else if (e.action === "reorder") {
      entries.reverse(); // No nested object there: the top level's order changes instead.
    }
    value = objectOf(entries);
  }
  return value;
}

export class Runner {
  readonly model = new HistoryModel();
  store = new Store<unknown>();
  private pending: Pending[] = [];
  private version = 1;
  private stepIndex = -1;
  private readonly log: string[] = [];

  constructor(
    private readonly dir: string,
    private readonly options: OpenOptions<unknown>,
    private readonly config: Config,
    private readonly ids: readonly string[],
    /** Checks left out to look for a second defect behind a first (OPSLOG_INTERLEAVE_WITHOUT). */
    private readonly skip: ReadonlySet<string> = new Set(),
  ) {}

  private openOptions(): OpenOptions<unknown> {
    return {
      ...this.options,
      retain: this.config.retain,
      checkpointThreshold: this.config.checkpointThreshold,
      checkpointOnClose: this.config.checkpointOnClose,
      version: this.version,
      migrate: migrationTo(this.version),
    };
  }

  fail(detail: string): never {
    const where = this.stepIndex < 0 ? "at open" : `after step ${this.stepIndex}`;
    throw new Error(`${where}: ${detail}\nsteps run:\n${this.log.join("\n")}`);
  }

  async open(): Promise<void> {
    await this.store.open(this.dir, this.openOptions());
  }

  /**
   * Issues a step. Returns a promise only when the step ends its phase (a reopen, or a step to
   * await): the caller must issue the next step synchronously otherwise, so that it starts
   * before this one has made any progress (not even a microtask).
   */
  run(step: Step, index: number): Promise<void> | undefined {
    this.stepIndex = index;
    this.log.push(`#${index} ${describeStep(step)}`);
    if (step.kind === "reopen") return this.reopen(step);
    if (step.kind === "pause") return this.pause(step.turns);
    this.issue(step);
    // An archive still in flight may apply after the next call (src/engine/archiver.ts before
    // the fix); the phase check still catches any departure from call order.
    if (!this.pending.some((p) => !p.settled && p.what.startsWith("archive"))) this.checkNow();
    return step.wait ? this.endPhase() : undefined;
  }

  async finish(): Promise<void> {
    this.stepIndex = Number.MAX_SAFE_INTEGER;
    await this.endPhase();
    await this.reopen({ kind: "reopen", migrate: false, doubleClose: false });
    await this.store.close();
  }

  private async pause(turns: number): Promise<void> {
    for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
    if (!this.pending.some((p) => !p.settled && p.what.startsWith("archive"))) this.checkNow();
  }

  private issue(step: Exclude<Step, { kind: "reopen" | "pause" }>): void {
    const store = this.store;
    const model = this.model;
    try {
      switch (step.kind) {
        case "set":
          this.track("set", store.set(step.id, step.value), { resolves: undefined });
          model.set(step.id, step.value);
          return;
        case "update": {
          const next = updated(model.state.get(step.id), step.base, step.edits);
          this.track("update", store.set(step.id, next), { resolves: undefined });
          model.set(step.id, next);
          return;
        }
        case "delete":
          return this.deleteStep(step.id);
        case "batch":
          return this.batchStep(step);
        case "undo":
        case "redo": {
          this.clipModel();
          const promise = step.kind === "undo" ? store.undo() : store.redo();
          const expected = step.kind === "undo" ? model.undo() : model.redo();
          this.track(step.kind, promise, { resolves: expected });
          return;
        }
        case "compact":
          this.track("compact", store.compact(), "compact");
          return;
        case "archive": {
          const chosen = new Set(step.ids);
          const promise = store.archive((_value, id) => chosen.has(id), step.segment);
          this.track("archive", promise, { resolves: model.archiveIds(chosen, step.segment) });
          return;
        }
      }
    } catch (error) {
      this.fail(`${step.kind} threw at the call: ${describeError(error)}`);
    }
  }

  private deleteStep(id: string): void {
    if (this.model.state.has(id)) {
      this.track("delete", this.store.delete(id), { resolves: undefined });
      this.model.delete(id);
      return;
    }
    let thrown: unknown;
    try {
      void this.store.delete(id);
    } catch (error) {
      thrown = error;
    }
    if (!(thrown instanceof OpslogError) || thrown.code !== "OPSLOG_NOT_FOUND") {
      this.fail(`delete of the absent ${JSON.stringify(id)} did not throw OPSLOG_NOT_FOUND: ${describeError(thrown)}`);
    }
  }

  private batchStep(step: Extract<Step, { kind: "batch" }>): void {
    const changes: { id: string; next: unknown }[] = [];
    const live = new Set(this.model.state.keys());
    const abort = new PlannedAbort();
    const promise = this.store.batch(() => {
      for (const op of step.ops) {
        if (op.value !== undefined) {
          void this.store.set(op.id, op.value);
          changes.push({ id: op.id, next: op.value });
          live.add(op.id);
        } else if (live.has(op.id)) {
          void this.store.delete(op.id);
          changes.push({ id: op.id, next: undefined });
          live.delete(op.id);
        }
      }
      if (step.fail) throw abort;
    });
    this.track("batch", promise, step.fail ? { rejects: abort } : { resolves: undefined });
    if (!step.fail) this.model.batch(changes);
  }

  /** Undo and redo cannot reach pruned history: the model learns where history now starts. */
  private clipModel(): void {
    const stats = this.store.stats();
    this.model.clip(stats.seq - stats.historyOps + 1);
  }

  private track(what: string, promise: Promise<unknown>, expected: Pending["expected"]): void {
    const entry: Pending = {
      what: `${what} (step ${this.stepIndex})`, expected, settled: false, closedUnder: false,
      failed: false, done: Promise.resolve(),
    };
    entry.done = promise.then(
      (result) => {
        entry.settled = true;
        entry.result = result;
      },
      (error: unknown) => {
        entry.settled = true;
        entry.failed = true;
        entry.error = error;
      },
    );
    this.pending.push(entry);
  }

  /** Awaits every call in flight and checks what each settled with. */
  private async settle(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    try {
      await withTimeout(Promise.all(pending.map((p) => p.done)), settleTimeoutMs, "the calls in flight");
    } catch (error) {
      const stuck = pending.filter((p) => !p.settled).map((p) => p.what).join(", ");
      this.fail(`${String(error)}: ${stuck}`);
    }
    for (const p of pending) this.checkOutcome(p);
  }

  private checkOutcome(p: Pending): void {
    if (p.expected === "compact") {
      const closed = p.error instanceof OpslogError && p.error.code === "OPSLOG_CLOSED";
      if (p.failed && !(p.closedUnder && closed)) this.fail(`${p.what} rejected: ${describeError(p.error)}`);
      return;
    }
    if ("rejects" in p.expected) {
      if (!p.failed || p.error !== p.expected.rejects) {
        this.fail(`${p.what} did not reject with its callback's error: ${describeError(p.error)}`);
      }
      return;
    }
    if (p.failed) this.fail(`${p.what} rejected: ${describeError(p.error)}`);
    if (p.result !== p.expected.resolves) {
      this.fail(`${p.what} resolved ${String(p.result)}; the model says ${String(p.expected.resolves)}`);
    }
  }

  private async endPhase(): Promise<void> {
    await this.settle();
    this.checkNow();
    await this.checkHistory();
  }

  /** close() (twice, if asked) with calls in flight, then open again, maybe one version up. */
  private async reopen(step: Extract<Step, { kind: "reopen" }>): Promise<void> {
    for (const p of this.pending) p.closedUnder = true;
    const old = this.store;
    const first = old.close();
    const second = step.doubleClose ? old.close() : undefined;
    const firstDone = first.then(() => undefined, (error: unknown) => error);
    try {
      await withTimeout(second ?? first, settleTimeoutMs, "close()");
    } catch (error) {
      this.fail(`close() rejected: ${describeError(error)}`);
    }
    await new Promise((resolve) => setImmediate(resolve));
    const running = this.pending.filter((p) => !p.settled).map((p) => p.what);
    if (running.length > 0) this.fail(`close() resolved while calls were still running: ${running.join(", ")}`);
    await this.settle();
    try {
      old.get(this.ids[0]!);
      this.fail("get() after close() did not throw");
    } catch (error) {
      const closed = error instanceof OpslogError && error.code === "OPSLOG_CLOSED";
      if (!closed) this.fail(`get() after close() threw ${describeError(error)}, not OPSLOG_CLOSED`);
    }
    if (step.migrate) this.version++;
    this.store = new Store<unknown>();
    try {
      await withTimeout(this.store.open(this.dir, this.openOptions()), settleTimeoutMs, "open()");
    } catch (error) {
      this.fail(`open after close failed: ${describeError(error)}`);
    }
    const firstError = await withTimeout(firstDone, settleTimeoutMs, "the first close()").catch((e: unknown) => e);
    if (firstError !== undefined) this.fail(`the first close() rejected: ${describeError(firstError)}`);
    if (step.migrate) this.model.migrate(migrationTo(this.version));
    const problem = prototypeProblem();
    if (problem) this.fail(`after reopening: ${problem}`);
    this.checkNow();
    await this.checkHistory();
  }

  /** Records and seq, as JSON text (synchronous reads; calls may still be in flight). */
  checkNow(): void {
    const store = this.store;
    const model = this.model;
    const seq = store.stats().seq;
    if (seq !== model.seq) this.fail(`stats().seq is ${seq}; the model has ${model.seq} operations`);
    for (const id of this.ids) {
      const got = text(store.get(id));
      const want = text(model.state.get(id));
      if (got !== want) this.fail(`get(${JSON.stringify(id)}) is ${got}; the model says ${want}`);
    }
    const entries = recordsText(store.entries());
    const expected = recordsText(model.state);
    if (entries !== expected) this.fail(`entries() are ${entries}; the model says ${expected}`);
    const all = JSON.stringify(store.all().map((v) => text(v)).sort());
    const allExpected = JSON.stringify([...model.state.values()].map((v) => text(v)).sort());
    if (all !== allExpected) this.fail(`all() is ${all}; the model says ${allExpected}`);
  }

  /** History, time travel and archives (all calls settled). */
  private async checkHistory(): Promise<void> {
    const store = this.store;
    const model = this.model;
    const stats = store.stats();
    const oldest = stats.seq - stats.historyOps + 1;
    const retain = this.config.retain;
    if (retain === "all" && oldest !== 1) this.fail(`retain "all" but history starts at seq ${oldest}`);
    if (retain !== "all" && stats.historyOps < Math.min(retain.ops, stats.seq)) {
      this.fail(`retain { ops: ${retain.ops} } but only ${stats.historyOps} operations are retained`);
    }
    const expected = model.ops.filter((op) => op.seq >= oldest);
    const got = store.getOps().map(opText);
    const want = expected.map(opText);
    if (got.join("\n") !== want.join("\n")) this.fail(`getOps() differs\n${diff(got, want)}`);
    for (const id of this.ids) {
      const history = store.getHistory(id).map(opText);
      const own = expected.filter((op) => op.id === id).map(opText);
      if (history.join("\n") !== own.join("\n")) {
        this.fail(`getHistory(${JSON.stringify(id)}) differs\n${diff(history, own)}`);
      }
    }
    await this.checkViews(Math.max(0, oldest - 1), stats.seq);
    await this.checkArchives();
  }

  private async checkViews(from: number, to: number): Promise<void> {
    const points = new Set([from, to, Math.floor((from + to) / 2), to - 1, from + 1]);
    for (const point of points) {
      if (point < from || point > to) continue;
      let view;
      try {
        view = await this.store.at(point);
      } catch (error) {
        this.fail(`at(${point}) rejected: ${describeError(error)}`);
      }
      const got = recordsText(view.entries());
      const want = recordsText(this.model.stateAt(point));
      if (got !== want) this.fail(`at(${point}) shows ${got}; the model says ${want}`);
    }
    if (from >= 1 && !this.skip.has("pruned-view")) {
      const error = await this.store.at(from - 1).then(() => undefined, (e: unknown) => e);
      const refused = error instanceof OpslogError && error.code === "OPSLOG_INVALID_ARGUMENT";
      if (!refused) this.fail(`at(${from - 1}), before the retained history, gave ${describeError(error)}`);
    }
  }

  /**
   * Archive segments hold what the model moved. Both sides are compared at the current schema
   * version: whether archived records are migrated is not what this test is about.
   */
  private async checkArchives(): Promise<void> {
    const names = this.store.listArchiveSegments().sort();
    const expected = [...this.model.archive.keys()].sort();
    if (names.join() !== expected.join()) this.fail(`archive segments ${names.join()}; model: ${expected.join()}`);
    const upgrade = migrationTo(this.version);
    for (const name of names) {
      const records = await this.store.loadArchive(name);
      const got = recordsText([...records].map(([id, v]) => [id, upgrade(v)] as const));
      const modelRecords = this.model.archive.get(name)!;
      const want = recordsText([...modelRecords].map(([id, v]) => [id, upgrade(v)] as const));
      if (got !== want) this.fail(`archive ${name} holds ${got}; the model says ${want}`);
    }
  }
}

function diff(got: readonly string[], want: readonly string[]): string {
  const lines: string[] = [];
  for (let i = 0; i < Math.max(got.length, want.length) && lines.length < 6; i++) {
    if (got[i] !== want[i]) lines.push(`  store: ${got[i]}\n  model: ${want[i]}`);
  }
  return lines.join("\n");
}

export function describeError(error: unknown): string {
  if (error === undefined) return "nothing";
  const code = (error as { code?: unknown } | null)?.code;
  return `${error instanceof Error ? error.name : typeof error} ${String(code)}: ${String(error)}`;
}

function describeStep(step: Step): string {
  const { kind, ...rest } = step;
  return `${kind} ${JSON.stringify(rest).slice(0, 200)}`;
}
