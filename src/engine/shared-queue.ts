import { randomUUID } from "node:crypto";
import { ConflictError, toIoError } from "../errors.js";
import type { Base, SharedChange, SharedLog, SharedOutcome, UnitOutcome } from "../storage/shared-port.js";
import type { StoredState } from "../storage/port.js";
import type { Operation } from "../types.js";
import { assert } from "../util/assert.js";
import type { RecordTable } from "./record-table.js";
import type { OverwrittenRecord, WriteIntent, WriteQueue } from "./write-queue.js";
import { freezeParsed } from "../model/freeze.js";
import { recordAt } from "../model/raw-record.js";
import { changeOf } from "../model/operation.js";

/** What the shared queue needs from the engine. */
export interface SharedHost {
  readonly table: RecordTable;
  /** Sets the seq the next provisional operation follows. */
  resetSeq(seq: number): void;
  /** Applies `ops`' changes again as new provisional operations (after resetSeq). */
  reapply(ops: readonly Operation[]): Operation[];
  /** Global operations in seq order: ready them, apply them, add them to history, announce. */
  absorb(ops: Operation[], schemaVersion: number, own: ReadonlySet<number>): void;
  /** Reports a failure to follow the other writers (stats().followError); undefined: cleared. */
  followError(error: unknown): void;
  /** Starts over from `stored` (this writer fell behind what retention pruned). */
  restart(stored: StoredState): void;
}

/** Operations sent in one commit at most (more wait for the next). */
const commitOpsMax = 1000;
/** Operations asked for in one fetch. */
const fetchLimit = 1000;
const retryMsMin = 10;
/** Failed fetches in a row (≈ 10 s of backoff) before a known outcome settles uncaught-up. */
const awaitFailuresMax = 12;
const retryMsMax = 2000;

/** One change of a pending unit, as the server will see it. */
interface PendingChange {
  readonly unit: PendingUnit;
  readonly index: number;
  readonly id: string;
  /** The base: fixed, or the earlier pending change whose value this one saw. */
  base: Base | { ref: PendingChange };
  /** Once stored: its global seq; once refused: "refused". */
  outcome?: number | "refused";
}

interface PendingUnit {
  /** The provisional operations now applied to the table. */
  ops: Operation[];
  changes: PendingChange[];
  overwrite: boolean;
  task?: () => Promise<unknown>;
  resolve: (overwritten: OverwrittenRecord[]) => void;
  reject: (error: unknown) => void;
}

/**
 * The write path on a log many writers share (storage/shared-port.ts). Writes are applied in
 * memory at the call, as provisional operations over the confirmed state (everything through
 * `durableSeq`, in global order), and sent one commit at a time with what each change saw. When
 * global operations arrive (a commit's outcome, or other writers' commits found by polling or
 * a wake-up), the provisional operations are taken out, the global ones applied, and the
 * provisional ones applied again on top: the local state is always the global log plus this
 * writer's pending units, so a conflict is reported only after the state has caught up.
 */
export class SharedQueue implements WriteQueue {
  private units: PendingUnit[] = [];
  /** The last pending change of each id: a later change of the id is based on it. */
  private lastTouch = new Map<string, PendingChange>();
  private confirmed: number;
  private running: Promise<void> | undefined;
  private wanted = false;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly stopWake: () => void;
  private failures = 0;
  /** Schema version of the global operations last read (what absorb migrates from). */
  private schemaVersion: number;
  /**
   * A commit whose outcome is known but whose global operations are not applied yet (the fetch
   * failed): the next run fetches again before anything else, and settles its units then.
   */
  private awaiting: { group: PendingUnit[]; outcome: SharedOutcome; own: Set<number> } | undefined;

  constructor(
    private readonly log: SharedLog,
    private readonly host: SharedHost,
    head: number,
    /** The program's schema version: every commit carries it (a store at another refuses). */
    private readonly writeVersion: number,
    readonly versions: Map<string, number>,
    private readonly pollMs: number,
  ) {
    this.confirmed = head;
    this.schemaVersion = writeVersion;
    this.stopWake = log.onCommit(() => this.want());
    this.arm();
  }

  get durableSeq(): number {
    return this.confirmed;
  }

  get failed(): unknown {
    return undefined; // A unit fails alone; nothing poisons the queue.
  }

  get pending(): number {
    return this.units.length;
  }

  /** The version of a record in the confirmed state (0 when it has none). */
  versionOf(id: string): number {
    return this.host.table.records.has(id) ? (this.versions.get(id) ?? 0) : 0;
  }

  enqueue(
    ops: readonly Operation[],
    _batchSize: number | undefined,
    task?: () => Promise<unknown>,
    intent: WriteIntent = {},
  ): Promise<OverwrittenRecord[]> {
    assert(ops.length > 0, "enqueue of no operations");
    assert(!this.stopped, "no write is enqueued after close");
    return new Promise<OverwrittenRecord[]>((resolve, reject) => {
      const unit: PendingUnit = { ops: [...ops], changes: [], overwrite: intent.overwrite === true, resolve, reject };
      if (task) unit.task = task;
      ops.forEach((op, index) => {
        const prior = this.lastTouch.get(op.id);
        const expected = intent.expected?.[index];
        let base: PendingChange["base"] = { seen: this.confirmed };
        if (expected !== undefined) base = expected === 0 ? { absent: true } : { version: expected };
        else if (prior) base = { ref: prior };
        const change: PendingChange = { unit, index, id: op.id, base };
        unit.changes.push(change);
        this.lastTouch.set(op.id, change);
      });
      this.units.push(unit);
      this.want();
    });
  }

  checkpointBoundary(_seq: number): Promise<void> {
    return Promise.resolve(); // The storage keeps no log stretches to seal.
  }

  flush(): Promise<void> {
    if (this.units.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Applies everything committed so far (by anyone); resolves once caught up. */
  async catchUp(): Promise<void> {
    this.want();
    await this.running;
  }

  /** Ends polling and wake-ups once every unit is settled; nothing runs after it resolves. */
  async close(): Promise<void> {
    await this.flush();
    this.stopped = true;
    this.stopWake();
    clearTimeout(this.timer);
    await this.running;
  }

  private arm(): void {
    if (this.stopped || (this.failures === 0 && this.pollMs === 0)) return;
    const delay = this.failures === 0 ? this.pollMs : Math.min(retryMsMax, retryMsMin * 2 ** this.failures);
    this.timer = setTimeout(() => this.want(), delay);
  }

  /** Asks the lane to run: commit what is pending, else fetch what others committed. */
  private want(): void {
    if (this.stopped) return;
    this.wanted = true;
    this.running ??= this.pump().finally(() => {
      this.running = undefined;
      if (this.wanted && !this.stopped) this.want();
    });
  }

  private async pump(): Promise<void> {
    while (this.wanted && !this.stopped) {
      this.wanted = false;
      clearTimeout(this.timer);
      try {
        if (this.awaiting) await this.finishCommit(this.awaiting);
        else if (this.units.length > 0) await this.commitNext();
        else await this.fetchMore();
        if (this.failures > 0) this.host.followError(undefined);
        this.failures = 0;
      } catch (error) {
        if (error instanceof ConflictError && this.log.reload && (await this.startOver())) continue;
        this.failures++;
        this.host.followError(error);
      }
      this.arm();
      // After a failure the backoff timer runs it again; otherwise go on with what is pending.
      if (this.units.length > 0 && this.failures === 0) this.wanted = true;
      if (this.awaiting && this.failures >= awaitFailuresMax) this.settleUnapplied(this.awaiting);
    }
    if (this.units.length === 0) this.wakeIdle();
  }

  /**
   * Fell behind what another writer's retention pruned: take the state at the head, settle a
   * known outcome by what the storage decided (it is in that state), stage the rest again.
   * False when the reload failed (tried again after a pause).
   */
  private async startOver(): Promise<boolean> {
    let stored: StoredState;
    try {
      stored = await this.log.reload!();
    } catch {
      return false;
    }
    this.host.table.unstage();
    this.host.restart(stored);
    this.versions.clear();
    for (const [id, version] of stored.versions ?? []) this.versions.set(id, version);
    this.confirmed = stored.head;
    this.schemaVersion = stored.schemaVersion;
    const awaiting = this.awaiting;
    this.awaiting = undefined;
    const done = new Set(awaiting?.group ?? []);
    this.units = this.units.filter((unit) => !done.has(unit));
    this.reapplyPending();
    awaiting?.group.forEach((unit, i) => this.settle(unit, awaiting.outcome.units[i]!));
    return true;
  }

  private async fetchMore(): Promise<void> {
    for (;;) {
      const fetched = await this.log.fetch(this.confirmed, fetchLimit);
      if (fetched.ops.length === 0) return;
      this.schemaVersion = fetched.schemaVersion;
      this.reconcile(fetched.ops, new Set(), []);
      if (fetched.ops.length < fetchLimit) return;
    }
  }

  /** Sends the leading units (a unit with a task goes alone, after running it). */
  private async commitNext(): Promise<void> {
    const group = this.takeGroup();
    if (group.length === 1 && group[0]!.task) {
      try {
        await group[0]!.task();
      } catch (error) {
        return this.settleFailed(group, toIoError("writing the archive", error));
      }
    }
    const request = { id: randomUUID(), after: this.confirmed, schemaVersion: this.writeVersion, units: group.map((unit) => this.wire(unit, group)) };
    let outcome: SharedOutcome;
    try {
      outcome = await this.log.commit(request);
    } catch (error) {
      return this.settleFailed(group, toIoError("committing", error));
    }
    assert(outcome.units.length === group.length, "one outcome per unit");
    const own = new Set<number>();
    outcome.units.forEach((result, i) => this.record(group[i]!, result, own));
    const ops = outcome.ops?.ops;
    if (outcome.ops && (ops!.length === 0 || ops![0]!.seq <= this.confirmed + 1)) {
      this.schemaVersion = outcome.ops.schemaVersion;
      return this.reconcile(ops!, own, group.map((unit, i) => [unit, outcome.units[i]!]));
    }
    await this.finishCommit({ group, outcome, own });
  }

  /**
   * Fetches the global operations through a known outcome's head, then settles its units. A
   * failed fetch leaves it awaiting: the outcome is known, so it is never sent again, and its
   * units settle only once the state has caught up with it.
   */
  private async finishCommit(awaiting: NonNullable<typeof this.awaiting>): Promise<void> {
    this.awaiting = awaiting;
    const { group, outcome, own } = awaiting;
    const ops = await this.fetchThrough(outcome.head);
    this.awaiting = undefined;
    this.reconcile(ops, own, group.map((unit, i) => [unit, outcome.units[i]!]));
  }

  /** The leading units to commit together: up to commitOpsMax operations, tasks alone. */
  private takeGroup(): PendingUnit[] {
    const group: PendingUnit[] = [];
    let count = 0;
    for (const unit of this.units) {
      if (group.length > 0 && (unit.task || group[0]!.task || count + unit.ops.length > commitOpsMax)) break;
      group.push(unit);
      count += unit.ops.length;
    }
    return group;
  }

  private async fetchThrough(head: number): Promise<Operation[]> {
    const ops: Operation[] = [];
    let after = this.confirmed;
    while (after < head) {
      const fetched = await this.log.fetch(after, fetchLimit);
      assert(fetched.ops.length > 0, "a committed head can be fetched");
      this.schemaVersion = fetched.schemaVersion;
      for (const op of fetched.ops) ops.push(op);
      after = ops[ops.length - 1]!.seq;
    }
    return ops;
  }

  /**
   * The storage cannot be read back: settles the units of a known outcome without the state
   * having caught up (they resolve or reject as the storage decided). Their operations arrive
   * later with everyone else's, once fetching works again (as another writer's: not undoable).
   */
  private settleUnapplied(awaiting: NonNullable<typeof this.awaiting>): void {
    this.awaiting = undefined;
    this.host.table.unstage();
    const done = new Set(awaiting.group);
    this.units = this.units.filter((unit) => !done.has(unit));
    this.reapplyPending();
    awaiting.group.forEach((unit, i) => this.settle(unit, awaiting.outcome.units[i]!));
  }

  /** A unit as the storage takes it: its changes with their bases. */
  private wire(unit: PendingUnit, group: readonly PendingUnit[]): { changes: SharedChange[]; overwrite: boolean } {
    const changes = unit.changes.map((change, i): SharedChange => ({
      ...changeOf(unit.ops[i]!),
      base: this.baseOf(change, group),
    }));
    return { changes, overwrite: unit.overwrite };
  }

  private baseOf(change: PendingChange, group: readonly PendingUnit[]): Base {
    const base = change.base;
    if (!("ref" in base)) return base;
    const prior = base.ref;
    if (group.includes(prior.unit)) return { chained: true };
    // Stored in an earlier commit: this change saw that version. (Refused: never sent.)
    assert(typeof prior.outcome === "number", "a change is sent only after the one it saw was stored");
    return { seen: prior.outcome };
  }

  private record(unit: PendingUnit, result: UnitOutcome, own: Set<number>): void {
    if ("conflict" in result) {
      for (const change of unit.changes) change.outcome = "refused";
      return;
    }
    unit.changes.forEach((change, i) => {
      change.outcome = result.seq + i;
      own.add(result.seq + i);
    });
  }

  /**
   * Takes the provisional operations out, applies the global ones, settles the units the
   * outcome names, refuses the pending units based on a refused change, and applies the rest
   * again on top.
   */
  private reconcile(global: readonly Operation[], own: ReadonlySet<number>, settled: [PendingUnit, UnitOutcome][]): void {
    const fresh = global.filter((op) => op.seq > this.confirmed);
    assert(fresh.length === 0 || fresh[0]!.seq === this.confirmed + 1, "global operations arrive without a gap");
    this.host.table.unstage();
    if (fresh.length > 0) {
      this.host.absorb(fresh, this.schemaVersion, own);
      for (const op of fresh) this.versions.set(op.id, op.seq);
      this.confirmed = fresh[fresh.length - 1]!.seq;
    }
    const done = new Set(settled.map(([unit]) => unit));
    this.units = this.units.filter((unit) => !done.has(unit));
    this.reapplyPending();
    for (const [unit, result] of settled) this.settle(unit, result);
  }

  /**
   * Stages the pending units again, after the engine dropped staged operations that were never
   * enqueued (a batch callback that threw).
   */
  restage(): void {
    this.host.table.unstage();
    this.reapplyPending();
  }

  private reapplyPending(): void {
    this.host.resetSeq(this.confirmed);
    this.lastTouch.clear();
    const kept: PendingUnit[] = [];
    for (const unit of this.units) {
      const refused = unit.changes.find((change) => "ref" in change.base && change.base.ref.outcome === "refused");
      if (refused) {
        for (const change of unit.changes) change.outcome = "refused";
        unit.reject(this.conflict(refused.id, "it was based on a write of this store that was refused"));
        continue;
      }
      unit.ops = this.host.reapply(unit.ops);
      for (const change of unit.changes) this.lastTouch.set(change.id, change);
      kept.push(unit);
    }
    this.units = kept;
  }

  private settle(unit: PendingUnit, result: UnitOutcome): void {
    if ("conflict" in result) {
      const { id, version, value } = result.conflict;
      const why = `another writer changed it (it is at version ${version})`;
      // Settled without catching up (settleUnapplied): the storage's picture is the newer one.
      if ((this.versions.get(id) ?? 0) < version) {
        const current = value === undefined ? undefined : freezeParsed(value);
        unit.reject(new ConflictError(`record ${JSON.stringify(id)} was not written: ${why}`, { id, value: current, version }));
        return;
      }
      unit.reject(this.conflict(id, why));
      return;
    }
    unit.resolve(
      result.overwritten.map(({ id, value, version }) => ({ id, value: value === undefined ? undefined : freezeParsed(value), version })),
    );
  }

  /** A conflict naming the record, with its value and version in the caught-up state. */
  private conflict(id: string, why: string): ConflictError {
    const records = this.host.table.records;
    const entry = records.get(id);
    const value = entry === undefined ? undefined : recordAt(records, id, entry);
    const version = this.versionOf(id);
    return new ConflictError(`record ${JSON.stringify(id)} was not written: ${why}`, { id, value, version });
  }

  /** Nothing of `group` was stored (or its outcome is unknown): take it out and reject it. */
  private settleFailed(group: PendingUnit[], error: unknown): void {
    for (const unit of group) for (const change of unit.changes) change.outcome = "refused";
    this.host.table.unstage();
    const failed = new Set(group);
    this.units = this.units.filter((unit) => !failed.has(unit));
    this.reapplyPending();
    for (const unit of group) unit.reject(error);
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
