import assert from "node:assert/strict";
import {
  chunkOps,
  commit,
  type Change,
  contractTest,
  oddValueTexts,
  open,
  openedOps,
  OpsBuilder,
  opsText,
  type StorageContractOptions,
} from "./contract-kit.js";

/** open, commit, readOps, oldestSeq, usage, close: the log verbs. */
export function logContract(options: StorageContractOptions): void {
  const test = (name: string, body: Parameters<typeof contractTest>[2]): void =>
    contractTest(options, name, body);

  test("a new store opens empty at the asked schema version", async (h) => {
    const storage = await h.create();
    const state = await open(storage, false, 3);
    assert.equal(state.head, 0);
    assert.equal(state.checkpoint.seq, 0);
    assert.equal(state.checkpoint.records.size, 0);
    assert.deepEqual(state.ops, []);
    assert.equal(state.schemaVersion, 3);
    assert.equal(storage.oldestSeq(), 1);
    assert.deepEqual(storage.readOps(1, 100), []);
    assert.equal(storage.wantsCheckpoint(), false);
    assert.doesNotThrow(() => storage.checkWritable());
    const usage = storage.usage();
    assert.ok(Number.isInteger(usage.historyBytes) && usage.historyBytes >= 0);
    assert.equal(typeof storage.location, "string");
  });

  test("committed operations read back and reopen byte-identical as JSON text", async (h) => {
    const storage = await h.create();
    await open(storage);
    const log = new OpsBuilder();
    const groups = oddValueTexts.map((text, i) => log.group(["set", `id-${i % 3}`, text]));
    groups.push(log.group(["delete", "id-1"], ["set", "__proto__", oddValueTexts[0]!]));
    for (const group of groups) await commit(storage, group);
    const written = opsText(groups.flatMap((group) => group.ops));
    assert.equal(opsText(chunkOps(storage.readOps(1, log.seq))), written);
    const [again, state] = await h.reopen(storage);
    assert.equal(state.head, log.seq);
    assert.equal(opsText(openedOps(again, state, 1, log)), written);
    assert.equal(opsText(chunkOps(again.readOps(1, log.seq))), written);
  });

  test("commit copies its group: changing its objects afterwards changes nothing", async (h) => {
    const storage = await h.create();
    await open(storage);
    const log = new OpsBuilder();
    const group = log.group(["set", "a", '{"list":[1,2],"n":{"m":1}}']);
    const written = opsText(group.ops);
    await commit(storage, group);
    const op = group.ops[0] as { data: { list: number[]; n: { m: number } } };
    op.data.list.push(3);
    op.data.n.m = 99;
    assert.equal(opsText(chunkOps(storage.readOps(1, 1))), written);
  });

  test("readOps hands out fresh objects each time", async (h) => {
    const storage = await h.create();
    await open(storage);
    const log = new OpsBuilder();
    const group = log.group(["set", "a", '{"list":[1,2]}']);
    await commit(storage, group);
    const first = chunkOps(storage.readOps(1, 1))[0] as unknown as { data: { list: number[] } };
    first.data.list.push(3);
    assert.equal(opsText(chunkOps(storage.readOps(1, 1))), opsText(group.ops));
  });

  test("batches stay whole, with their markers, after reopen", async (h) => {
    const storage = await h.create();
    await open(storage);
    const log = new OpsBuilder();
    const batch: Change[] = [["set", "b", "2"], ["set", "c", "3"], ["delete", "a"]];
    const one = log.group(["set", "a", "1"], batch);
    const two = log.group([["set", "d", "4"], ["set", "e", "5"]], ["set", "f", "6"]);
    await commit(storage, one);
    await commit(storage, two);
    const [again, state] = await h.reopen(storage);
    const opened = openedOps(again, state, 1, log);
    assert.equal(opsText(opened), opsText([...one.ops, ...two.ops]));
    assert.deepEqual(opened.map((op) => op.batch), [undefined, 2, 2, 2, 5, 5, undefined]);
  });

  test("readOps returns exactly the asked range: empty, partial, whole, clipped", async (h) => {
    const storage = await h.create();
    await open(storage);
    const log = new OpsBuilder();
    const ops = [];
    for (let i = 1; i <= 6; i++) {
      const group = log.group(["set", `k${i}`, `{"i":${i}}`]);
      ops.push(...group.ops);
      await commit(storage, group);
    }
    const seqs = (from: number, to: number): number[] =>
      chunkOps(storage.readOps(from, to)).map((op) => op.seq);
    assert.deepEqual(seqs(4, 3), []);
    assert.deepEqual(seqs(7, 20), []);
    assert.deepEqual(seqs(0, 0), []);
    assert.deepEqual(seqs(2, 4), [2, 3, 4]);
    assert.deepEqual(seqs(5, 5), [5]);
    assert.deepEqual(seqs(1, 6), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(seqs(0, 100), [1, 2, 3, 4, 5, 6]);
    for (const chunk of storage.readOps(1, 6)) assert.equal(chunk.schemaVersion, 1);
  });

  test("readOps reads single seqs and ranges inside a batch", async (h) => {
    const storage = await h.create();
    await open(storage);
    const log = new OpsBuilder();
    const batch: Change[] = [["set", "b", "2"], ["set", "c", "3"], ["set", "d", "4"]];
    const group = log.group(["set", "a", "1"], batch, ["delete", "a"]);
    await commit(storage, group);
    const read = (from: number, to: number): string => opsText(chunkOps(storage.readOps(from, to)));
    const written = (from: number, to: number): string =>
      opsText(group.ops.filter((op) => op.seq >= from && op.seq <= to));
    for (const [from, to] of [[3, 3], [2, 2], [4, 4], [3, 4], [2, 3], [1, 3], [3, 5]] as const) {
      assert.equal(read(from, to), written(from, to), `readOps(${from}, ${to})`);
    }
    const [again] = await h.reopen(storage);
    assert.equal(opsText(chunkOps(again.readOps(3, 3))), written(3, 3));
  });

  test("a write group on the head in a synchronous storage is durable on return", async (h) => {
    const storage = await h.create();
    await open(storage);
    const log = new OpsBuilder();
    const result = storage.commit(log.group(["set", "a", "1"]));
    if (storage.capabilities.synchronousCommit) {
      assert.equal(result, undefined);
      assert.equal(chunkOps(storage.readOps(1, 1)).length, 1);
    } else {
      assert.equal(await result, undefined);
    }
  });

  test("close is idempotent and every call resolves", async (h) => {
    const storage = await h.create();
    await open(storage);
    await commit(storage, new OpsBuilder().group(["set", "a", "1"]));
    await Promise.all([storage.close(), storage.close()]);
    await storage.close();
  });

  test("nothing the storage started runs after close", async (h) => {
    const storage = await h.create();
    await open(storage);
    const log = new OpsBuilder();
    for (let i = 1; i <= 3; i++) await commit(storage, log.group(["set", `k${i}`, `${i}`]));
    await commit(storage, { ops: [], batchSizes: new Map(), base: 3, checkpointAt: 3 });
    await storage.writeCheckpoint(log.meta(), log.records());
    // Background work the checkpoint started (files: compression) is waited for by close().
    await storage.close();
    const picture = async (): Promise<string> => {
      const [again, state] = await h.reopen(storage, true);
      const ops = opsText(chunkOps(again.readOps(0, 100)));
      const text = JSON.stringify([state.head, state.checkpoint.seq, again.oldestSeq(), ops]);
      await again.close();
      return text;
    };
    const before = await picture();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await picture(), before, "the stored data did not change after close()");
  });

  test("one object, one session at a time: it may be opened again after close", async (h) => {
    const storage = await h.create();
    await open(storage);
    const log = new OpsBuilder();
    const group = log.group(["set", "a", "1"], [["set", "b", "2"], ["delete", "a"]]);
    await commit(storage, group);
    await storage.close();
    const state = await open(storage);
    assert.equal(state.head, 3);
    assert.equal(opsText(openedOps(storage, state, 1, log)), opsText(group.ops));
    await commit(storage, log.group(["set", "c", "3"]));
    await storage.close();
    const [, again] = await h.reopen(storage);
    assert.equal(again.head, 4);
  });

  test("a readOnly open of a location never written opens empty or OPSLOG_NOT_FOUND", async (h) => {
    const storage = await h.create();
    let state;
    try {
      state = await open(storage, true);
    } catch (error) {
      assert.equal((error as { code?: unknown }).code, "OPSLOG_NOT_FOUND");
      return;
    }
    assert.equal(state.head, 0);
    assert.equal(state.checkpoint.records.size, 0);
    assert.deepEqual(state.ops, []);
  });
}
