import { setImmediate as nextTurn } from "node:timers/promises";
import { InvalidArgumentError, LockedError } from "../../errors.js";
import { valueText } from "../../model/value-text.js";
import { formatMicros } from "../../util/time.js";
import { assert } from "../../util/assert.js";
import type {
  CheckpointMeta,
  CommitResult,
  OpenRequest,
  OpsChunk,
  RecordList,
  Storage,
  StorageCapabilities,
  StorageUsage,
  StoredState,
  TailEvent,
  WriteGroup,
} from "../port.js";
import { MemoryArchive } from "./memory-archive.js";
import { MemoryFaults } from "./memory-faults.js";
import { tailVolume } from "./memory-tail.js";
import { encodeGroup, MemoryVolume, type StoredOp } from "./memory-volume.js";
import { HeadState, headStoredState } from "./memory-head.js";
import { MemorySharedLog } from "./memory-shared.js";

export interface MemoryStorageOptions {
  /** Names the storage in messages: its location is `memory:<name>`. Default: a counter. */
  name?: string;
  /**
   * commit() returns a promise resolved on a later macrotask (and `synchronousCommit` is
   * false), to exercise the engine's asynchronous commit path. Default false.
   */
  asyncCommit?: boolean;
  /**
   * Default true: one writer at a time (a second gets OPSLOG_LOCKED). False lets writers share
   * the data, and a commit on a stale base reports a conflict, as a database server would.
   */
  exclusiveWriter?: boolean;
  /**
   * Many writers share the data as they would share a database (storage/shared-port.ts): the
   * reference implementation of what the PostgreSQL storage does. Implies exclusiveWriter
   * false. A second writer is `new MemoryStorage({ shareWith })`. Default false.
   */
  shared?: boolean;
  /**
   * Another handle on the same data as this storage (same location, same writer lock): a
   * second Store beside the first one, for example a readOnly follower of a writer.
   */
  shareWith?: MemoryStorage;
}

/** Records a checkpoint encodes before it gives the event loop a turn (and checks its signal). */
const checkpointSliceRecords = 1000;
/** A checkpoint is worth writing after this many operations at least. */
const checkpointOpsMin = 10_000;

/** Version of how a memory volume keeps its data (stats().formatVersion). */
const memoryFormatVersion = 1;

let storagesCreated = 0;

interface Session {
  readOnly: boolean;
  schemaVersion: number;
}

/**
 * Storage in this process's memory (docs/STORAGE.md): NO DURABILITY, the data is gone when the
 * process ends. For tests and caches. It keeps everything as JSON text and hands out fresh
 * objects, so that a Store on it behaves as on durable storage, and `faults` injects failures.
 *
 * A handle serves one Store at a time; after close() it may be opened again and shows exactly
 * what was stored. `new MemoryStorage({ shareWith })` gives another handle on the same data.
 */
export class MemoryStorage implements Storage {
  readonly location: string;
  readonly capabilities: StorageCapabilities;
  readonly faults: MemoryFaults;
  readonly archive: MemoryArchive;
  readonly shared: MemorySharedLog | undefined;
  private readonly volume: MemoryVolume;
  private readonly asyncCommit: boolean;
  private session: Session | undefined;
  private closing: Promise<void> | undefined;
  private commitInFlight = false;
  /** Work started and not yet finished (asynchronous commits, checkpoints): close() waits. */
  private readonly pending = new Set<Promise<unknown>>();

  constructor(options: MemoryStorageOptions = {}) {
    const shared = options.shareWith;
    this.volume = shared ? shared.volume : new MemoryVolume();
    this.location = shared ? shared.location : `memory:${options.name ?? ++storagesCreated}`;
    this.asyncCommit = options.asyncCommit === true;
    const isShared = shared ? shared.capabilities.shared === true : options.shared === true;
    const exclusiveWriter = shared
      ? shared.capabilities.exclusiveWriter
      : options.exclusiveWriter !== false && !isShared;
    this.capabilities = Object.freeze({
      synchronousCommit: !this.asyncCommit && !isShared,
      exclusiveWriter,
      archive: true,
      tail: true,
      shared: isShared,
    });
    this.faults = new MemoryFaults(this.location);
    if (isShared) this.volume.headState ??= new HeadState();
    const headState = this.volume.headState;
    this.shared = headState
      ? new MemorySharedLog(this.volume, headState, () => this.checkShared(), this.faults)
      : undefined;
    this.archive = new MemoryArchive(this.volume, this.location, {
      reader: (verb) => void this.openSession(verb),
      writer: (verb) => {
        this.writerSession(verb);
        this.faults.checkAlive();
      },
    });
  }

  open(request: OpenRequest): Promise<StoredState> {
    try {
      return Promise.resolve(this.openNow(request));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  commit(group: WriteGroup): CommitResult | Promise<CommitResult> {
    this.writerSession("commit");
    assert(!this.commitInFlight, "commit() before the previous commit finished");
    // Encoded at the call, as a durable storage would copy the bytes: later changes to the
    // group's objects change nothing stored.
    const encoded = this.conflictFree(group) ? encodeGroup(group, this.volume.head) : undefined;
    if (!this.asyncCommit) return this.store(group, encoded);
    this.commitInFlight = true;
    const done = new Promise<CommitResult>((resolve, reject) => {
      setTimeout(() => {
        this.commitInFlight = false;
        try {
          resolve(this.store(group, encoded));
        } catch (error) {
          reject(error as Error);
        }
      }, 0);
    });
    return this.track(done);
  }

  readOps(from: number, to: number): OpsChunk[] {
    this.openSession("readOps");
    assert(Number.isInteger(from) && Number.isInteger(to), "readOps() takes whole seqs");
    const error = this.faults.takeReadOps();
    if (error !== undefined) throw error;
    return this.volume.opsBetween(from, to);
  }

  oldestSeq(): number {
    this.openSession("oldestSeq");
    return this.volume.oldestSeq();
  }

  writeCheckpoint(meta: CheckpointMeta, records: RecordList, signal?: AbortSignal): Promise<void> {
    try {
      this.writerSession("writeCheckpoint");
      const last = this.volume.checkpoint.seq;
      // Shared: another writer may have checkpointed further (checkpointAsync then adds nothing).
      const shared = this.volume.headState !== undefined;
      assert(shared || meta.seq >= last, `a checkpoint at ${meta.seq} is older than the last (${last})`);
      assert(meta.seq <= this.volume.head, "a checkpoint shows committed operations only");
      assert(records.ids.length === records.values.length, "a record list pairs ids and values");
      return this.track(this.checkpointAsync(meta, records, signal));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  wantsCheckpoint(): boolean {
    this.writerSession("wantsCheckpoint");
    const records = this.volume.checkpoint.records.size;
    return this.volume.opsSinceCheckpoint() >= Math.max(checkpointOpsMin, 2 * records);
  }

  applyRetention(throughSeq: number): void {
    this.writerSession("applyRetention");
    assert(Number.isInteger(throughSeq), "applyRetention() takes a whole seq");
    this.volume.prune(Math.min(throughSeq, this.volume.checkpoint.seq));
  }

  checkWritable(): void {
    this.writerSession("checkWritable");
    this.faults.checkAlive();
  }

  usage(): StorageUsage {
    this.openSession("usage");
    return { historyBytes: this.volume.historyBytes(), formatVersion: memoryFormatVersion };
  }

  tail(afterSeq: number, signal: AbortSignal): AsyncIterable<TailEvent> {
    const session = this.openSession("tail");
    assert(session.readOnly, "tail() follows a writer from a readOnly store");
    const isOpen = (): boolean => this.session === session && this.closing === undefined;
    return tailVolume(this.volume, afterSeq, signal, isOpen, session.schemaVersion);
  }

  close(): Promise<void> {
    if (!this.session) return Promise.resolve();
    // `closing` stays set until the next open: every call of close() gets the one closing.
    this.closing ??= this.finishClose();
    return this.closing;
  }

  private openNow(request: OpenRequest): StoredState {
    const exclusive = this.capabilities.exclusiveWriter;
    const writerHeld = this.volume.writer !== undefined;
    if (!request.readOnly && exclusive && writerHeld) {
      throw new LockedError(this.location, undefined);
    }
    if (this.session) {
      throw new InvalidArgumentError(
        `${this.location} is open in another Store: open a second Store on ` +
          `new MemoryStorage({ shareWith: storage })`,
      );
    }
    const error = this.faults.takeOpen();
    if (error !== undefined) throw error;
    if (!request.readOnly) this.volume.schemaVersion ??= request.schemaVersion;
    const head = this.volume.headState;
    const state = head
      ? headStoredState(head, this.volume.head, this.volume.checkpoint.stacks, this.volume.schemaVersion ?? request.schemaVersion)
      : this.volume.storedState(request.schemaVersion);
    if (!request.readOnly && exclusive) this.volume.writer = this;
    this.session = { readOnly: request.readOnly, schemaVersion: request.schemaVersion };
    this.closing = undefined;
    return state;
  }

  /** Whether `group` follows the head; with shared writers, one on a stale base conflicts. */
  private conflictFree(group: WriteGroup): boolean {
    if (!this.capabilities.exclusiveWriter && group.base !== this.volume.head) return false;
    assert(group.base === this.volume.head, "a group is built on the head");
    return true;
  }

  private store(group: WriteGroup, encoded: StoredOp[] | undefined): CommitResult {
    const fault = this.faults.takeCommit(this.volume.head);
    if (fault && "error" in fault) throw fault.error;
    if (fault) return fault;
    if (encoded === undefined || group.base !== this.volume.head) {
      return { conflict: { head: this.volume.head } };
    }
    this.volume.append(encoded);
    for (const op of group.ops) this.volume.headState?.apply(op);
    return undefined;
  }

  private async checkpointAsync(
    meta: CheckpointMeta,
    records: RecordList,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    // Always asynchronous, as on a real storage: the engine keeps writing meanwhile.
    await nextTurn();
    this.faults.checkAlive();
    signal?.throwIfAborted();
    const error = this.faults.takeCheckpoint();
    if (error !== undefined) throw error;
    const head = this.volume.headState;
    // A program older than a shared store (its commits are refused): never downgrade it. A
    // writer behind another's checkpoint has nothing to add to it.
    if (head && meta.schemaVersion < (this.volume.schemaVersion ?? 0)) return;
    if (head && meta.seq < this.volume.checkpoint.seq) return;
    if (head && meta.schemaVersion === this.volume.schemaVersion) {
      // Shared: the engine's records hold its pending writes; the head state is the truth.
      const seq = this.volume.head;
      const ts = head.lastMicros > 0 ? formatMicros(head.lastMicros) : meta.ts;
      const checkpoint = { seq, ts, stacks: JSON.stringify(meta.stacks), records: new Map(head.values) };
      this.volume.installCheckpoint(checkpoint, meta.schemaVersion);
      return;
    }
    const texts = new Map<string, string>();
    for (let i = 0; i < records.ids.length; i++) {
      if (i > 0 && i % checkpointSliceRecords === 0) {
        await nextTurn();
        signal?.throwIfAborted();
      }
      texts.set(records.ids[i]!, valueText(records.values[i]));
    }
    assert(texts.size === records.ids.length, "a checkpoint names each record once");
    const { seq, ts, stacks, schemaVersion } = meta;
    const checkpoint = { seq, ts, stacks: JSON.stringify(stacks), records: texts };
    this.volume.installCheckpoint(checkpoint, schemaVersion);
    if (head) {
      // A migration on a shared volume: the head state takes the migrated values too.
      head.values.clear();
      for (const [id, text] of texts) head.values.set(id, text);
    }
  }

  /** Verbs of the shared log need an open handle. */
  private checkShared(): void {
    this.openSession("shared log");
    this.faults.checkAlive();
  }

  private async finishClose(): Promise<void> {
    try {
      while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    } finally {
      if (this.volume.writer === this) this.volume.writer = undefined;
      this.session = undefined;
      this.volume.wake();
    }
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work);
    const settled = (): void => void this.pending.delete(work);
    work.then(settled, settled);
    return work;
  }

  private openSession(verb: string): Session {
    assert(this.session !== undefined, `${verb}() on ${this.location}, which is not open`);
    assert(this.closing === undefined, `${verb}() on ${this.location} while it closes`);
    return this.session;
  }

  private writerSession(verb: string): Session {
    const session = this.openSession(verb);
    assert(!session.readOnly, `${verb}() on ${this.location}, opened readOnly`);
    return session;
  }
}
