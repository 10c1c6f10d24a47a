import assert from "node:assert/strict";
import type { StorageCapabilities, TailEvent } from "../storage/port.js";
import type { Operation } from "../types.js";
import {
  chunkOps,
  commit,
  contractTest,
  open,
  openedOps,
  OpsBuilder,
  opsText,
  within,
  type Harness,
  type StorageContractOptions,
} from "./contract-kit.js";

/** How long a follower may take to see a commit in these tests. */
const tailWaitMs = 5000;

/** Declared powers: exclusive or shared writers, readers beside a writer, archive, tail. */
export function powersContract(options: StorageContractOptions): void {
  const twoHandles = options.reopen !== undefined;
  // Capabilities are known only once a storage exists (create() may be async), so a test of a
  // power the adapter does not declare passes without doing anything.
  const test = (
    name: string,
    declared: (powers: StorageCapabilities) => boolean,
    body: (h: Harness) => Promise<void>,
  ): void =>
    contractTest(options, name, async (h) => {
      const storage = await h.create();
      if (declared(storage.capabilities)) await body(h);
    });
  const always = (): boolean => true;

  if (twoHandles) {
    test("a readOnly store opens beside a writer and sees what it committed", always, async (h) => {
      const writer = await h.create();
      await open(writer);
      const log = new OpsBuilder();
      const group = log.group(["set", "a", '{"x":1}'], [["set", "b", "2"], ["delete", "a"]]);
      await commit(writer, group);
      const reader = (await h.another(writer))!;
      const state = await open(reader, true);
      assert.equal(state.head, 3);
      assert.equal(opsText(openedOps(reader, state, 1, log)), opsText(group.ops));
      assert.equal(opsText(chunkOps(reader.readOps(1, 3))), opsText(group.ops));
    });
  }

  if (twoHandles) {
    const exclusive = (powers: StorageCapabilities): boolean => powers.exclusiveWriter;
    test("an exclusive writer: a second writer fails with OPSLOG_LOCKED", exclusive, async (h) => {
      const first = await h.create();
      await open(first);
      const second = (await h.another(first))!;
      await assert.rejects(open(second), { code: "OPSLOG_LOCKED" });
      await first.close();
      const state = await open(second);
      assert.equal(state.head, 0);
    });
  }

  if (twoHandles) {
    const shared = (powers: StorageCapabilities): boolean => !powers.exclusiveWriter;
    test("shared writers: a commit on a stale base conflicts", shared, async (h) => {
      const one = await h.create();
      await open(one);
      const two = (await h.another(one))!;
      await open(two);
      const winner = new OpsBuilder().group(["set", "a", "1"]);
      const loser = new OpsBuilder().group(["set", "a", "2"], ["set", "b", "3"]);
      await commit(one, winner);
      assert.deepEqual(await two.commit(loser), { conflict: { head: 1 } });
      assert.equal(opsText(chunkOps(two.readOps(1, 5))), opsText(winner.ops));
    });
  }

  archiveContract((name, body) => test(name, (powers) => powers.archive, body));
  if (twoHandles) tailContract((name, body) => test(name, (powers) => powers.tail, body));
}

function archiveContract(test: (name: string, body: (h: Harness) => Promise<void>) => void): void {
  test("archive segments merge, list and read back after reopen", async (h) => {
    const storage = await h.create();
    await open(storage);
    const archive = storage.archive!;
    assert.deepEqual(archive.list(), []);
    const odd = JSON.parse('{"__proto__":{"p":1},"b":1,"a":[{"z":1,"y":2}]}') as unknown;
    assert.equal(await archive.write("done", [["a", odd], ["b", 2]]), 2);
    assert.equal(await archive.write("done", [["b", 3], ["c", "x"]]), 3);
    assert.equal(await archive.write("old", [["d", { n: null }]]), 1);
    const [again] = await h.reopen(storage);
    const byName = (list: { name: string; records: number }[]) =>
      [...list].sort((a, b) => (a.name < b.name ? -1 : 1));
    assert.deepEqual(byName(again.archive!.list()), [
      { name: "done", records: 3 },
      { name: "old", records: 1 },
    ]);
    const done = again.archive!.read("done");
    const expected = [["a", odd], ["b", 3], ["c", "x"]];
    assert.equal(JSON.stringify([...done].sort()), JSON.stringify(expected));
    assert.throws(() => again.archive!.read("missing"), { code: "OPSLOG_INVALID_ARGUMENT" });
  });
}

/** Reads a follower's events until it has seen `head`, checking order, gaps and repeats. */
async function follow(
  events: AsyncIterator<TailEvent>,
  from: number,
  head: number,
  sizes: ReadonlyMap<number, number>,
): Promise<{ ops: Operation[]; checkpoints: number[]; resets: number }> {
  const seen = { ops: [] as Operation[], checkpoints: [] as number[], resets: 0 };
  let position = from;
  while (position < head) {
    const next = await within(events.next(), tailWaitMs, `a follower at ${position} of ${head}`);
    assert.ok(!next.done, "tail() ends only when its signal aborts");
    const event = next.value;
    if (event.kind === "reset") {
      seen.resets++;
      position = event.state.head;
      seen.ops = [...event.state.ops];
    } else if (event.kind === "checkpoint") {
      assert.ok(event.seq <= position, "a checkpoint is reported after the operations it holds");
      seen.checkpoints.push(event.seq);
    } else {
      assert.ok(event.ops.length > 0, "an ops event carries operations");
      for (const op of event.ops) {
        assert.equal(op.seq, ++position, "a follower sees every seq once, in order");
        seen.ops.push(op);
      }
      const last = event.ops[event.ops.length - 1]!;
      if (last.batch !== undefined) {
        const end = last.batch + sizes.get(last.batch)! - 1;
        assert.equal(end, last.seq, "ops events end with whole batches");
      }
    }
  }
  return seen;
}

function tailContract(test: (name: string, body: (h: Harness) => Promise<void>) => void): void {
  test("tail follows a writer in seq order, with checkpoints, and ends on abort", async (h) => {
    const writer = await h.create();
    await open(writer);
    const log = new OpsBuilder();
    const before = log.group(["set", "a", "1"], ["set", "b", "2"]);
    await commit(writer, before);
    const reader = (await h.another(writer))!;
    await open(reader, true);
    const controller = new AbortController();
    const events = reader.tail!(1, controller.signal)[Symbol.asyncIterator]();
    const later = [
      log.group([["set", "c", "3"], ["set", "d", "4"], ["delete", "a"]]),
      log.group(["set", "e", '{"__proto__":5}']),
    ];
    for (const group of later) await commit(writer, group);
    await commit(writer, { ops: [], batchSizes: new Map(), base: log.seq, checkpointAt: log.seq });
    await writer.writeCheckpoint(log.meta(), log.records());
    const checkpointSeq = log.seq;
    const last = log.group(["set", "f", "6"]);
    await commit(writer, last);
    const seen = await follow(events, 1, log.seq, log.batchSizes);
    const expected = [before.ops[1]!, ...later.flatMap((g) => g.ops), ...last.ops];
    assert.equal(opsText(seen.ops), opsText(expected));
    if (!seen.checkpoints.includes(checkpointSeq)) {
      const next = await within(events.next(), tailWaitMs, "the checkpoint event");
      assert.deepEqual(next.value, { kind: "checkpoint", seq: checkpointSeq });
    }
    const waiting = events.next();
    controller.abort();
    assert.equal((await within(waiting, tailWaitMs, "tail() ending on abort")).done, true);
  });

  test("a follower whose position was pruned starts over from a reset", async (h) => {
    const writer = await h.create();
    await open(writer);
    const log = new OpsBuilder();
    for (let i = 1; i <= 4; i++) await commit(writer, log.group(["set", `k${i}`, `${i}`]));
    await commit(writer, { ops: [], batchSizes: new Map(), base: 4, checkpointAt: 4 });
    await writer.writeCheckpoint(log.meta(), log.records());
    writer.applyRetention(4);
    const pruned = writer.oldestSeq() > 1;
    await commit(writer, log.group(["set", "k5", "5"]));
    const reader = (await h.another(writer))!;
    await open(reader, true);
    const controller = new AbortController();
    const events = reader.tail!(0, controller.signal)[Symbol.asyncIterator]();
    const seen = await follow(events, 0, 5, log.batchSizes);
    assert.equal(seen.resets > 0, pruned, "a reset comes exactly when the position was pruned");
    assert.equal(seen.ops.at(-1)?.seq, 5);
    controller.abort();
    assert.equal((await within(events.next(), tailWaitMs, "tail() ending on abort")).done, true);
  });
}
