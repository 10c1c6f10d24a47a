import assert from "node:assert/strict";
import {
  chunkOps,
  commit,
  contractTest,
  open,
  openedOps,
  OpsBuilder,
  opsText,
  recordsText,
  stateText,
  type StorageContractOptions,
} from "./contract-kit.js";

/** writeCheckpoint, checkpointAt groups, applyRetention, schema versions. */
export function checkpointContract(options: StorageContractOptions): void {
  const test = (name: string, body: Parameters<typeof contractTest>[2]): void =>
    contractTest(options, name, body);

  test("reopen after a checkpoint: its records, ts, stacks, then the ops after it", async (h) => {
    const storage = await h.create();
    await open(storage);
    const log = new OpsBuilder();
    const odd = '{"__proto__":1,"b":2,"a":1}';
    await commit(storage, log.group(["set", "a", odd], ["set", "b", '"x"']));
    const batch = log.group([["set", "c", "[1]"], ["delete", "b"]]);
    await commit(storage, { ...batch, checkpointAt: 4 });
    const undo: [number, number][] = [[1, 2], [3, 4]];
    const stacks = { undo, redo: [[5, 6]] as [number, number][] };
    const meta = log.meta(1, stacks);
    await storage.writeCheckpoint(meta, log.records());
    const checkpointState = stateText(log);
    const after = log.group(["set", "d", '{"ü":"☃"}'], ["delete", "a"]);
    await commit(storage, after);
    const [again, state] = await h.reopen(storage);
    assert.equal(state.head, 6);
    assert.deepEqual(state.checkpoint.stacks, stacks);
    if (again.capabilities.shared === true) {
      // A shared storage opens at its head: the state after the ops, stamped as the last one.
      assert.equal(state.checkpoint.ts, log.lastTs);
    } else {
      assert.equal(state.checkpoint.seq, 4);
      assert.equal(state.checkpoint.ts, meta.ts);
      assert.deepEqual(recordsText(state), checkpointState);
    }
    assert.equal(opsText(openedOps(again, state, 5, log)), opsText(after.ops));
  });

  test("history before a checkpoint stays readable, also across it", async (h) => {
    const storage = await h.create();
    await open(storage);
    const log = new OpsBuilder();
    const written = [];
    for (let i = 1; i <= 3; i++) {
      const group = log.group(["set", `k${i}`, `${i}`]);
      written.push(...group.ops);
      await commit(storage, i === 3 ? { ...group, checkpointAt: 3 } : group);
    }
    await storage.writeCheckpoint(log.meta(), log.records());
    for (let i = 4; i <= 6; i++) {
      const group = log.group(["set", `k${i}`, `${i}`]);
      written.push(...group.ops);
      await commit(storage, group);
    }
    assert.equal(opsText(chunkOps(storage.readOps(2, 5))), opsText(written.slice(1, 5)));
    const [again] = await h.reopen(storage);
    assert.equal(opsText(chunkOps(again.readOps(1, 6))), opsText(written));
    assert.equal(again.oldestSeq(), 1);
  });

  test("a group with no operations marks a checkpoint at the head", async (h) => {
    const storage = await h.create();
    await open(storage);
    const log = new OpsBuilder();
    await commit(storage, log.group(["set", "a", "1"], ["set", "b", "2"]));
    await commit(storage, { ops: [], batchSizes: new Map(), base: 2, checkpointAt: 2 });
    await storage.writeCheckpoint(log.meta(), log.records());
    const [, state] = await h.reopen(storage);
    assert.equal(state.head, 2);
    assert.equal(state.checkpoint.seq, 2);
    assert.deepEqual(state.ops, []);
    assert.deepEqual(recordsText(state), stateText(log));
  });

  test("a newer checkpoint replaces the last; one at the same seq is allowed", async (h) => {
    const storage = await h.create();
    await open(storage);
    const log = new OpsBuilder();
    await commit(storage, { ...log.group(["set", "a", "1"]), checkpointAt: 1 });
    await storage.writeCheckpoint(log.meta(), log.records());
    await storage.writeCheckpoint(log.meta(), log.records());
    await commit(storage, { ...log.group(["set", "a", "2"], ["set", "b", "3"]), checkpointAt: 3 });
    await storage.writeCheckpoint(log.meta(), log.records());
    const [, state] = await h.reopen(storage);
    assert.equal(state.checkpoint.seq, 3);
    assert.deepEqual(recordsText(state), stateText(log));
    assert.deepEqual(state.ops, []);
  });

  test("an aborted checkpoint rejects with the reason, the last one stays the base", async (h) => {
    const storage = await h.create();
    await open(storage);
    const log = new OpsBuilder();
    await commit(storage, { ...log.group(["set", "a", "1"]), checkpointAt: 1 });
    await storage.writeCheckpoint(log.meta(), log.records());
    const base = stateText(log);
    const changes: ["set", string, string][] = [];
    for (let i = 0; i < 3000; i++) changes.push(["set", `r${i}`, `{"i":${i}}`]);
    const group = log.group(...changes);
    await commit(storage, { ...group, checkpointAt: log.seq });
    const reason = new Error("stop");
    const aborted = AbortSignal.abort(reason);
    await assert.rejects(storage.writeCheckpoint(log.meta(), log.records(), aborted), reason);
    // Aborted while it is written: either it stopped (old base) or it had finished (new base).
    const controller = new AbortController();
    const writing = storage.writeCheckpoint(log.meta(), log.records(), controller.signal);
    controller.abort(reason);
    const finished = await writing.then(
      () => true,
      (error: unknown) => {
        assert.equal(error, reason);
        return false;
      },
    );
    const [again, state] = await h.reopen(storage);
    if (again.capabilities.shared === true) {
      // A shared storage's open is at its head whatever checkpoint was written.
      assert.equal(openedOps(again, state, 2, log).length, 3000);
      return;
    }
    assert.equal(state.checkpoint.seq, finished ? log.seq : 1);
    assert.deepEqual(recordsText(state), finished ? stateText(log) : base);
    assert.equal(state.ops.length, finished ? 0 : 3000);
  });

  test("applyRetention drops history only up to the last checkpoint", async (h) => {
    const storage = await h.create();
    await open(storage);
    const log = new OpsBuilder();
    for (let i = 1; i <= 2; i++) await commit(storage, log.group(["set", "k", `${i}`]));
    await commit(storage, { ops: [], batchSizes: new Map(), base: 2, checkpointAt: 2 });
    await storage.writeCheckpoint(log.meta(), log.records());
    for (let i = 3; i <= 4; i++) await commit(storage, log.group(["set", "k", `${i}`]));
    // The engine never asks beyond the last checkpoint (an adapter may assert it).
    storage.applyRetention(2);
    assert.ok(storage.oldestSeq() <= 3, "nothing after the checkpoint is dropped");
    await commit(storage, { ops: [], batchSizes: new Map(), base: 4, checkpointAt: 4 });
    await storage.writeCheckpoint(log.meta(), log.records());
    await commit(storage, log.group(["set", "k", "5"]));
    storage.applyRetention(4);
    const oldest = storage.oldestSeq();
    assert.ok(oldest >= 1 && oldest <= 5, `oldestSeq ${oldest} keeps the ops after the checkpoint`);
    assert.deepEqual(chunkOps(storage.readOps(1, 5)).map((op) => op.seq)[0], oldest);
    const [again, state] = await h.reopen(storage);
    assert.equal(state.head, 5);
    assert.equal(again.oldestSeq(), oldest);
    assert.equal(openedOps(again, state, 5, log).length, 1);
    if (again.capabilities.shared !== true) assert.deepEqual(recordsText(state), [["k", "4"]]);
  });

  test("history before a schema upgrade keeps its version", async (h) => {
    const storage = await h.create();
    await open(storage, false, 1);
    const log = new OpsBuilder();
    await commit(storage, { ...log.group(["set", "a", "1"], ["set", "b", "2"]), checkpointAt: 2 });
    await storage.writeCheckpoint(log.meta(2), log.records());
    await commit(storage, log.group(["set", "a", "3"]));
    const versions = storage.readOps(1, 3).map((c) => [c.schemaVersion, c.ops.map((op) => op.seq)]);
    assert.deepEqual(versions, [[1, [1, 2]], [2, [3]]]);
    const [again, state] = await h.reopen(storage, false, 2);
    assert.equal(state.schemaVersion, 2);
    assert.deepEqual(openedOps(again, state, 3, log).map((op) => op.seq), [3]);
  });
}
