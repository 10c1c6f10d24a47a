import assert from "node:assert/strict";
import { RawRecord } from "../model/raw-record.js";
import type { StacksState } from "../model/undo-stacks.js";
import type {
  CheckpointMeta,
  OpsChunk,
  RecordList,
  Storage,
  StoredState,
  WriteGroup,
} from "../storage/port.js";
import type { Operation } from "../types.js";

/** How to run the storage contract suite against one adapter (see storageContract). */
export interface StorageContractOptions {
  /** Names the adapter in test names. */
  name: string;
  /** A new, empty storage, not opened yet. */
  create(): Storage | Promise<Storage>;
  /**
   * Another handle on the data of `previous` (which may still be open): what a program that
   * opens the same location again gets. Without it, reopen tests reuse `previous` after closing
   * it, and tests that need two handles at once (a reader beside a writer) are left out.
   */
  reopen?(previous: Storage): Storage | Promise<Storage>;
  /** Registers one test with the test runner (vitest's `it`, node:test's `test`, mocha's `it`). */
  test: (name: string, fn: () => Promise<void>) => void;
}

/** A change in a write group: ["set", id, JSON text of the value] or ["delete", id]. */
export type Change = ["set", string, string] | ["delete", string];

/**
 * Builds operations as the engine would (contiguous seqs, increasing microsecond timestamps,
 * true `prev` values, batch markers) and keeps the state they lead to.
 */
export class OpsBuilder {
  seq = 0;
  readonly state = new Map<string, string>();
  readonly batchSizes = new Map<number, number>();
  private micros = Date.UTC(2026, 0, 1) * 1000;
  lastTs: string | undefined;

  /** One write group of units: a Change is one operation, a Change[] one batch. */
  group(...units: (Change | Change[])[]): WriteGroup {
    const base = this.seq;
    const ops: Operation[] = [];
    const batchSizes = new Map<number, number>();
    for (const unit of units) {
      if (!Array.isArray(unit[0])) {
        ops.push(this.operation(unit as Change, undefined));
        continue;
      }
      const first = this.seq + 1;
      batchSizes.set(first, unit.length);
      this.batchSizes.set(first, unit.length);
      for (const change of unit as Change[]) ops.push(this.operation(change, first));
    }
    return { ops, batchSizes, base };
  }

  /** The state as a RecordList of parsed values, for writeCheckpoint. */
  records(): RecordList {
    const values = [...this.state.values()].map((text) => JSON.parse(text) as unknown);
    return { ids: [...this.state.keys()], values };
  }

  meta(schemaVersion = 1, stacks?: StacksState): CheckpointMeta {
    const undo: [number, number][] = this.seq > 0 ? [[1, this.seq]] : [];
    return { seq: this.seq, ts: this.lastTs, schemaVersion, stacks: stacks ?? { undo, redo: [] } };
  }

  private operation(change: Change, batch: number | undefined): Operation {
    const [kind, id] = change;
    const prevText = this.state.get(id);
    const prev = prevText === undefined ? null : (JSON.parse(prevText) as unknown);
    this.micros += 7;
    const ms = Math.floor(this.micros / 1000);
    const micros = String(this.micros % 1000).padStart(3, "0");
    const ts = `${new Date(ms).toISOString().slice(0, 23)}${micros}Z`;
    this.lastTs = ts;
    // Fields in the engine's order (types.ts), which an adapter may rely on: files write them so.
    const op = { seq: ++this.seq, ts, op: kind, id } as Operation;
    if (kind === "set") {
      op.data = JSON.parse(change[2]!) as unknown;
      this.state.set(id, change[2]!);
    } else {
      this.state.delete(id);
    }
    op.prev = prev;
    if (batch !== undefined) op.batch = batch;
    return op;
  }
}

/** Values whose JSON text a storage must keep exactly: odd keys, key order, depth, unicode. */
export const oddValueTexts: readonly string[] = [
  '{"__proto__":{"polluted":true},"constructor":{"prototype":1},"toString":"x","hasOwnProperty":0}',
  '{"b":1,"a":2,"10":"ten","2":"two","":"empty key","z":{"y":1,"x":2}}',
  '{"ünïcödé ☃":"😀 \\u2028 \\u0000 \\"quoted\\" \\\\ back","日本":"語","\\ud83d\\ude00":"pair"}',
  `${'{"d":['.repeat(60)}{"bottom":true}${"]}".repeat(60)}`,
  '{"n":[0,-0.5,1e21,1.5e-7,9007199254740991,-1],"t":true,"f":false,"nil":null,"e":[[],{},[null]]}',
  '["top-level array",1,{"k":"v"}]',
  '"a plain string"',
  "42",
];

/** The JSON text of operations, one per line: what must survive storage to the byte. */
export function opsText(ops: readonly Operation[]): string {
  return ops.map((op) => JSON.stringify(op)).join("\n");
}

/** The operations of readOps chunks, in order. */
export function chunkOps(chunks: readonly OpsChunk[]): Operation[] {
  return chunks.flatMap((chunk) => [...chunk.ops]);
}

/** The text of a checkpoint record as handed over (parsed, or RawRecord text). */
export function recordText(value: unknown): string {
  return value instanceof RawRecord ? value.json : JSON.stringify(value);
}

/** Checkpoint records as id → JSON text, sorted by id, for comparison. */
export function recordsText(state: StoredState): [string, string][] {
  return byId([...state.checkpoint.records].map(([id, v]) => [id, recordText(v)]));
}

/** The builder's state as id → JSON text (re-encoded, as a storage encodes), sorted by id. */
export function stateText(builder: OpsBuilder): [string, string][] {
  return byId([...builder.state].map(([id, text]) => [id, JSON.stringify(JSON.parse(text))]));
}

function byId(entries: [string, string][]): [string, string][] {
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Rejects when `promise` does not settle within `ms`: a contract test never hangs. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Asserts that `action` throws or returns a rejected promise. */
export async function fails(action: () => unknown, what: string): Promise<void> {
  let failed = false;
  try {
    const result = action();
    if (result && typeof (result as Promise<unknown>).then === "function") await result;
  } catch {
    failed = true;
  }
  assert.ok(failed, `${what} must fail`);
}

/** The storages one test opened, closed at its end whatever happened. */
export class Harness {
  private readonly handles: Storage[] = [];

  constructor(readonly options: StorageContractOptions) {}

  async create(): Promise<Storage> {
    return this.keep(await this.options.create());
  }

  /** A second handle on the data of `previous`, or undefined when the adapter gives none. */
  async another(previous: Storage): Promise<Storage | undefined> {
    if (!this.options.reopen) return undefined;
    return this.keep(await this.options.reopen(previous));
  }

  /** Closes `previous` and opens its data again, as a program restarting would. */
  async reopen(
    previous: Storage,
    readOnly = false,
    schemaVersion = 1,
  ): Promise<[Storage, StoredState]> {
    await previous.close();
    const next = this.options.reopen ? this.keep(await this.options.reopen(previous)) : previous;
    return [next, await open(next, readOnly, schemaVersion)];
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled(this.handles.map((storage) => storage.close()));
  }

  private keep(storage: Storage): Storage {
    this.handles.push(storage);
    return storage;
  }
}

export function open(storage: Storage, readOnly = false, schemaVersion = 1): Promise<StoredState> {
  return storage.open({ readOnly, repair: false, schemaVersion });
}

/** Commits `group`, checking the declared synchronous fast path and that it did not conflict. */
export async function commit(storage: Storage, group: WriteGroup): Promise<void> {
  const result = storage.commit(group);
  if (storage.capabilities.synchronousCommit) {
    assert.equal(result, undefined, "a synchronous commit returns undefined, not a promise");
  }
  assert.equal(await result, undefined, "a commit by the only writer does not conflict");
}

/** Registers `body` as a test that gets a fresh Harness and closes what it opened. */
export function contractTest(
  options: StorageContractOptions,
  name: string,
  body: (harness: Harness) => Promise<void>,
): void {
  options.test(`${options.name} storage contract: ${name}`, async () => {
    const harness = new Harness(options);
    try {
      await body(harness);
    } finally {
      await harness.closeAll();
    }
  });
}

/**
 * The operations after the checkpoint open() returned, as the tests check them. A storage with
 * `capabilities.shared` keeps the current state (PostgreSQL: a state table written with every
 * commit), so its open returns the checkpoint at the head and no operations after it: that is
 * checked here (records equal to `builder`'s state at the head), and the operations from
 * `from` to the head are read from its history instead, where they must be all the same.
 */
export function openedOps(
  storage: Storage,
  state: StoredState,
  from: number,
  builder: OpsBuilder,
): readonly Operation[] {
  if (storage.capabilities.shared !== true) return state.ops;
  assert.deepEqual(state.ops, [], "a shared storage opens at its head");
  assert.equal(state.checkpoint.seq, state.head, "a shared storage's checkpoint is its head");
  assert.equal(state.head, builder.seq);
  assert.deepEqual(recordsText(state), stateText(builder));
  return chunkOps(storage.readOps(from, state.head));
}
