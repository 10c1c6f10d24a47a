import { describe, expect, it } from "vitest";
import { IoError, OpslogError } from "../../src/errors.js";
import { MemoryStorage } from "../../src/storage/memory/memory-storage.js";
import type { TailEvent } from "../../src/storage/port.js";
import { OpsBuilder, type Change } from "../../src/testing/contract-kit.js";

const writer = { readOnly: false, repair: false, schemaVersion: 1 };
const reader = { ...writer, readOnly: true };

async function opened(options: ConstructorParameters<typeof MemoryStorage>[0] = {}) {
  const storage = new MemoryStorage(options);
  await storage.open(writer);
  return { storage, log: new OpsBuilder() };
}

function seqs(storage: MemoryStorage): number[] {
  return storage.readOps(1, 1e9).flatMap((chunk) => chunk.ops.map((op) => op.seq));
}

describe("MemoryStorage", () => {
  it("names its location memory:<name>, with a counter by default", () => {
    expect(new MemoryStorage({ name: "cache" }).location).toBe("memory:cache");
    expect(new MemoryStorage().location).toMatch(/^memory:\d+$/);
    expect(new MemoryStorage().location).not.toBe(new MemoryStorage().location);
  });

  it("declares its capabilities; asyncCommit turns the synchronous commit off", () => {
    const caps = { synchronousCommit: true, exclusiveWriter: true, archive: true, tail: true, shared: false };
    expect(new MemoryStorage().capabilities).toEqual(caps);
    const async = new MemoryStorage({ asyncCommit: true }).capabilities;
    expect(async).toEqual({ ...caps, synchronousCommit: false });
    const shared = new MemoryStorage({ shared: true });
    expect(shared.capabilities).toEqual({ ...caps, synchronousCommit: false, exclusiveWriter: false, shared: true });
    expect(new MemoryStorage({ shareWith: shared }).capabilities.shared).toBe(true);
  });

  it("reopening the same handle gives exactly what was stored", async () => {
    const { storage, log } = await opened();
    const odd = '{"__proto__":{"x":1},"b":[1]}';
    const group = log.group(["set", "a", odd], [["set", "b", "2"], ["delete", "a"]]);
    storage.commit(group);
    await storage.close();
    const state = await storage.open(writer);
    const text = (op: unknown): string => JSON.stringify(op);
    expect(state.ops.map(text)).toEqual(group.ops.map(text));
    expect(Object.getPrototypeOf(state.ops[0]!.data)).toBe(Object.prototype);
    expect(Object.isFrozen(state.ops[0])).toBe(false);
  });

  it("a second open of an open handle is refused with a pointer to shareWith", async () => {
    const { storage } = await opened();
    await expect(storage.open(reader)).rejects.toThrow(/shareWith/);
    await expect(storage.open(writer)).rejects.toMatchObject({ code: "OPSLOG_LOCKED" });
  });

  it("every verb but close asserts after close, and before open", async () => {
    const { storage, log } = await opened();
    await storage.close();
    const internal = { code: "OPSLOG_INTERNAL" };
    const asserts = expect.objectContaining(internal) as unknown as Error;
    expect(() => storage.commit(log.group(["set", "a", "1"]))).toThrow(asserts);
    expect(() => storage.readOps(1, 1)).toThrow(asserts);
    expect(() => storage.usage()).toThrow(asserts);
    expect(() => storage.archive.list()).toThrow(asserts);
    expect(() => storage.tail(0, new AbortController().signal)).toThrow(asserts);
    await expect(storage.writeCheckpoint(log.meta(), log.records())).rejects.toMatchObject(internal);
    await storage.close();
    expect(() => new MemoryStorage().oldestSeq()).toThrow(asserts);
  });

  it("asserts the engine's side of the port: contiguous seqs, whole-batch groups", async () => {
    const { storage, log } = await opened();
    storage.commit(log.group(["set", "a", "1"]));
    const gap = new OpsBuilder().group(["set", "a", "1"], ["set", "b", "2"], ["set", "c", "3"]);
    expect(() => storage.commit({ ...gap, ops: gap.ops.slice(2), base: 1 })).toThrow(/one by one/);
    const batch = log.group([["set", "b", "2"], ["set", "c", "3"]]);
    const half = { ...batch, ops: batch.ops.slice(0, 1) };
    expect(() => storage.commit(half)).toThrow(/end of a batch/);
    storage.commit(batch);
    // readOps ranges may fall inside a batch (History.get(seq) asks [seq, seq]).
    expect(storage.readOps(3, 3).flatMap((chunk) => chunk.ops.map((op) => op.seq))).toEqual([3]);
    expect(storage.readOps(2, 2).flatMap((chunk) => chunk.ops.map((op) => op.seq))).toEqual([2]);
    expect(seqs(storage)).toEqual([1, 2, 3]);
  });

  it("asyncCommit: the commit resolves on a later macrotask and only then is stored", async () => {
    const { storage, log } = await opened({ asyncCommit: true });
    const result = storage.commit(log.group(["set", "a", "1"]));
    expect(result).toBeInstanceOf(Promise);
    await Promise.resolve();
    expect(seqs(storage)).toEqual([]);
    await expect(result).resolves.toBeUndefined();
    expect(seqs(storage)).toEqual([1]);
  });

  it("close waits for an asynchronous commit in flight", async () => {
    const { storage, log } = await opened({ asyncCommit: true });
    const result = storage.commit(log.group(["set", "a", "1"]));
    await storage.close();
    await expect(result).resolves.toBeUndefined();
    expect((await storage.open(reader)).head).toBe(1);
  });

  it("wantsCheckpoint after max(10 000, 2 × checkpoint records) operations", async () => {
    const { storage, log } = await opened();
    for (let i = 0; i < 9_999; i++) storage.commit(log.group(["set", `k${i % 10}`, `${i}`]));
    expect(storage.wantsCheckpoint()).toBe(false);
    storage.commit(log.group(["set", "k", '"x"']));
    expect(storage.wantsCheckpoint()).toBe(true);
    const changes = Array.from({ length: 6000 }, (_, i): Change => ["set", `r${i}`, "1"]);
    const many = log.group(...changes);
    storage.commit({ ...many, checkpointAt: log.seq });
    await storage.writeCheckpoint(log.meta(), log.records());
    for (let i = 0; i < 12_021; i++) storage.commit(log.group(["set", "k", `${i}`]));
    expect(storage.wantsCheckpoint()).toBe(false);
    storage.commit(log.group(["set", "k", '"last"']));
    expect(storage.wantsCheckpoint()).toBe(true);
  });

  it("historyBytes counts the stored operation text, and retention lowers it", async () => {
    const { storage, log } = await opened();
    const group = log.group(["set", "a", '"ü"'], ["set", "b", "2"]);
    storage.commit({ ...group, checkpointAt: 2 });
    const bytes = group.ops.reduce((sum, op) => sum + Buffer.byteLength(JSON.stringify(op)), 0);
    expect(storage.usage().historyBytes).toBe(bytes);
    await storage.writeCheckpoint(log.meta(), log.records());
    storage.applyRetention(1);
    const firstBytes = Buffer.byteLength(JSON.stringify(group.ops[0]));
    expect(storage.usage().historyBytes).toBe(bytes - firstBytes);
    expect(storage.oldestSeq()).toBe(2);
  });

  it("retention drops whole batches only", async () => {
    const { storage, log } = await opened();
    const group = log.group([["set", "a", "1"], ["set", "b", "2"]], ["set", "c", "3"]);
    storage.commit({ ...group, checkpointAt: 3 });
    await storage.writeCheckpoint(log.meta(), log.records());
    storage.applyRetention(1);
    expect(storage.oldestSeq()).toBe(1);
    storage.applyRetention(2);
    expect(storage.oldestSeq()).toBe(3);
  });

  it("a tail does not buffer: a slow follower reads from the log when it asks", async () => {
    const { storage, log } = await opened();
    const follower = new MemoryStorage({ shareWith: storage });
    await follower.open(reader);
    const controller = new AbortController();
    const events = follower.tail(0, controller.signal)[Symbol.asyncIterator]();
    for (let i = 0; i < 2500; i++) storage.commit(log.group(["set", "k", `${i}`]));
    const sizes: number[] = [];
    while (sizes.reduce((a, b) => a + b, 0) < 2500) {
      const event = (await events.next()).value as TailEvent & { kind: "ops" };
      sizes.push(event.ops.length);
    }
    expect(sizes).toEqual([1000, 1000, 500]);
    controller.abort();
    expect((await events.next()).done).toBe(true);
  });

  it("closing a follower ends its tail", async () => {
    const { storage } = await opened();
    const follower = new MemoryStorage({ shareWith: storage });
    await follower.open(reader);
    const events = follower.tail(0, new AbortController().signal)[Symbol.asyncIterator]();
    const waiting = events.next();
    await follower.close();
    expect((await waiting).done).toBe(true);
  });
});

describe("MemoryStorage fault injection", () => {
  it("failNextCommit: one commit throws OPSLOG_IO, stores nothing, the next succeeds", async () => {
    const { storage, log } = await opened();
    storage.faults.failNextCommit();
    const group = log.group(["set", "a", "1"]);
    expect(() => storage.commit(group)).toThrow(IoError);
    expect(() => storage.commit(group)).not.toThrow();
    expect(seqs(storage)).toEqual([1]);
    expect(() => storage.checkWritable()).not.toThrow();
  });

  it("failNextCommit(error) throws that error; with asyncCommit it rejects", async () => {
    const { storage, log } = await opened({ asyncCommit: true });
    const error = new Error("disk on fire");
    storage.faults.failNextCommit(error);
    const group = log.group(["set", "a", "1"]);
    await expect(storage.commit(group)).rejects.toBe(error);
    await expect(storage.commit(group)).resolves.toBeUndefined();
  });

  it("failCommitsFrom(n): the n-th commit and every write after fail, across reopen", async () => {
    const { storage, log } = await opened();
    storage.faults.failCommitsFrom(2);
    storage.commit(log.group(["set", "a", "1"]));
    const next = log.group(["set", "b", "2"]);
    expect(() => storage.commit(next)).toThrow(expect.objectContaining({ code: "OPSLOG_IO" }));
    expect(() => storage.commit(next)).toThrow(/permanent/);
    expect(() => storage.checkWritable()).toThrow(/permanent/);
    const checkpoint = storage.writeCheckpoint({ ...log.meta(), seq: 1 }, log.records());
    await expect(checkpoint).rejects.toThrow(/permanent/);
    await expect(storage.archive.write("x", [["a", 1]])).rejects.toThrow(/permanent/);
    await storage.close();
    expect((await storage.open(writer)).head).toBe(1);
    expect(() => storage.checkWritable()).toThrow(/permanent/);
    storage.faults.clear();
    expect(() => storage.commit(next)).not.toThrow();
    expect(seqs(storage)).toEqual([1, 2]);
  });

  it("conflictNextCommit: reports the head (or the given one) and stores nothing", async () => {
    const { storage, log } = await opened();
    storage.commit(log.group(["set", "a", "1"]));
    const group = log.group(["set", "b", "2"]);
    storage.faults.conflictNextCommit();
    expect(storage.commit(group)).toEqual({ conflict: { head: 1 } });
    storage.faults.conflictNextCommit(7);
    expect(storage.commit(group)).toEqual({ conflict: { head: 7 } });
    expect(seqs(storage)).toEqual([1]);
    expect(storage.commit(group)).toBeUndefined();
  });

  it("shared writers conflict for real on a stale base", async () => {
    const { storage: one } = await opened({ exclusiveWriter: false });
    const two = new MemoryStorage({ shareWith: one });
    await two.open(writer);
    one.commit(new OpsBuilder().group(["set", "a", "1"]));
    const stale = new OpsBuilder().group(["set", "b", "2"]);
    expect(two.commit(stale)).toEqual({ conflict: { head: 1 } });
    expect(seqs(two)).toEqual([1]);
  });

  it("failNextCheckpoint: rejects, and the previous checkpoint stays the base", async () => {
    const { storage, log } = await opened();
    storage.commit({ ...log.group(["set", "a", "1"]), checkpointAt: 1 });
    storage.faults.failNextCheckpoint();
    await expect(storage.writeCheckpoint(log.meta(), log.records())).rejects.toThrow(OpslogError);
    await storage.close();
    const state = await storage.open(writer);
    expect(state.checkpoint.seq).toBe(0);
    expect(state.ops).toHaveLength(1);
    await expect(storage.writeCheckpoint(log.meta(), log.records())).resolves.toBeUndefined();
  });

  it("failNextReadOps: one readOps throws", async () => {
    const { storage, log } = await opened();
    storage.commit(log.group(["set", "a", "1"]));
    storage.faults.failNextReadOps();
    expect(() => storage.readOps(1, 1)).toThrow(/injected readOps/);
    expect(seqs(storage)).toEqual([1]);
  });

  it("failOpen: open rejects and holds nothing (no writer lock)", async () => {
    const storage = new MemoryStorage();
    storage.faults.failOpen();
    await expect(storage.open(writer)).rejects.toMatchObject({ code: "OPSLOG_IO" });
    const other = new MemoryStorage({ shareWith: storage });
    await expect(other.open(writer)).resolves.toMatchObject({ head: 0 });
    await other.close();
    await expect(storage.open(writer)).resolves.toMatchObject({ head: 0 });
  });
});
