import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryStorage, Store } from "../../src/index.js";
import { check, declared, doc, ids, query, until, type Doc, type Query } from "../helpers/index-check.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Declared indexes of a follower (`readOnly: true, follow: true`) stay equal to indexes rebuilt
 * from its records, and its find/count/iterate to a scan, while a writer sets, deletes,
 * batches, undoes, redoes, checkpoints, rotates and prunes its log, restarts, and while the
 * follower falls behind what the writer retains and starts over (RecordTable.replace).
 */
const options = { indexes: declared, checkpointThreshold: 5, retain: { ops: 8 } };

const change = fc.record({ id: fc.constantFrom(...ids), value: fc.option(doc, { nil: undefined }) });
const step = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("set" as const), id: fc.constantFrom(...ids), value: doc }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), id: fc.constantFrom(...ids) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("batch" as const), changes: fc.array(change, { minLength: 1, maxLength: 4 }), fail: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom("undo" as const, "redo" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom("compact" as const, "restart" as const, "settle" as const) }) },
);
/** How often the store's engine started over from stored state (engine.ts restart). */
const restartsOf = (store: Store<Doc>): number => (store as unknown as { engine: { restarts: number } }).engine.restarts;
type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;

/** Writes that a unique index refuses (OPSLOG_UNIQUE, synchronously or not) are skipped. */
async function tolerated(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== "OPSLOG_UNIQUE" && !String(error).includes("rolls back")) throw error;
  }
}

async function perform(writer: Store<Doc>, s: Step): Promise<void> {
  if (s.kind === "set") return tolerated(() => writer.set(s.id, s.value));
  if (s.kind === "delete") return writer.has(s.id) ? writer.delete(s.id) : undefined;
  if (s.kind === "undo" || s.kind === "redo") return tolerated(() => writer[s.kind]());
  if (s.kind === "compact") return writer.compact();
  if (s.kind !== "batch") return;
  return tolerated(() =>
    writer.batch(() => {
      for (const c of s.changes) {
        if (c.value !== undefined) void writer.set(c.id, c.value);
        else if (writer.has(c.id)) void writer.delete(c.id);
      }
      if (s.fail) throw new Error("the callback fails: the batch rolls back");
    }),
  );
}

/** The follower reached the writer's seq; both agree with rebuilt indexes and a scan. */
async function settled(writer: Store<Doc>, follower: Store<Doc>, queries: readonly Query[], label: string): Promise<void> {
  await writer.flush();
  const seq = writer.stats().seq;
  await until(`the follower to reach seq ${seq}`, () => follower.stats().seq === seq);
  // The same records, compared in id order: a batch that deletes a record and then fails puts
  // the record back at the end of the writer's key order, which a follower (that never saw the
  // delete) keeps where it was. A known defect older than indexes, left for later (it changes
  // entries() order only, never a value); the indexes and queries here are order-free.
  const byId = (entries: [string, Doc][]) => JSON.stringify(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  expect(byId(follower.entries())).toBe(byId(writer.entries()));
  check(writer, declared, queries, `${label} writer`);
  check(follower, declared, queries, `${label} follower`);
}

describe("declared indexes of a follower (property)", () => {
  it("match a scan through a writer's random changes, checkpoints, pruning and restarts", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 30 }), fc.array(query, { minLength: 2, maxLength: 4 }), async (steps, queries) => {
        const dir = path.join(tempDir(), "store");
        let writer = new Store<Doc>();
        await writer.open(dir, options);
        await writer.set("seed", { status: "open", priority: 1, email: "seed@x" });
        const follower = new Store<Doc>();
        await follower.open(dir, { indexes: declared, readOnly: true, follow: true, followPollMs: 10 });
        try {
          for (const [i, s] of steps.entries()) {
            if (s.kind === "restart") {
              await writer.close();
              writer = new Store<Doc>();
              await writer.open(dir, options);
            } else if (s.kind === "settle") {
              await settled(writer, follower, queries, `step ${i}`);
            } else {
              await perform(writer, s);
            }
          }
          await settled(writer, follower, queries, "end");
          expect(follower.stats().followError).toBeUndefined();
        } finally {
          await follower.close();
          await writer.close();
        }
      }),
      { numRuns: Number(process.env.OPSLOG_INDEX_RUNS ?? 8) },
    );
  }, 60_000);

  it("match a scan after a follower of a shared log fell behind retention and started over", async () => {
    const first = new MemoryStorage({ shared: true });
    const lagging = new MemoryStorage({ shareWith: first });
    const writer = new Store<Doc>();
    await writer.open(first, { indexes: declared, retain: { ops: 3 } });
    for (let i = 0; i < 6; i++) await writer.set(`k${i}`, { status: i % 2 ? "open" : "done", priority: i, email: `${i}@x` });
    const follower = new Store<Doc>();
    await follower.open(lagging, { indexes: declared, readOnly: true, follow: true });
    await until("the follower to catch up", () => follower.stats().seq === writer.stats().seq);
    const restarts = restartsOf(follower);
    lagging.faults.failNextFetches(1_000_000);
    // While the follower cannot read: records change, move between index values, go away.
    for (let i = 0; i < 20; i++) {
      if (i % 5 === 4) await writer.delete(`k${i % 6}`).catch(() => undefined);
      else await writer.set(`k${i % 9}`, { status: ["open", "wip", null][i % 3], priority: [i, i + 1], owner: { id: i % 4 }, email: `${i + 10}@x` });
    }
    await writer.compact(); // prunes all but the newest operations
    lagging.faults.clear();
    await until("the follower to start over", () => follower.stats().seq === writer.stats().seq);
    expect(restartsOf(follower)).toBeGreaterThan(restarts);
    expect(JSON.stringify(follower.entries())).toBe(JSON.stringify(writer.entries()));
    check(follower, declared, [], "after starting over");
    await writer.set("k1", { status: "open", email: "0@x" }).catch(() => undefined);
    await until("the follower to follow again", () => follower.stats().seq === writer.stats().seq);
    check(follower, declared, [], "after following again");
    await follower.close();
    await writer.close();
  }, 30_000);
});

/** A writer in another process: tests/helpers/index-writer.mjs (runs dist/). */
const writerScript = path.resolve("tests/helpers/index-writer.mjs");

function startWriter(dir: string, count: number, threshold: number, retain: number, seed: number, doneFile?: string): ChildProcess {
  const args = [writerScript, dir, String(count), String(threshold), String(retain), String(seed)];
  const env: NodeJS.ProcessEnv = { ...process.env, INDEX_DECLARED: JSON.stringify(declared) };
  if (doneFile !== undefined) env.INDEX_WRITER_DONE = doneFile;
  return spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env });
}

/** Resolves once the child printed a line matching `pattern`; rejects if it exits first. */
function line(child: ChildProcess, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      if (pattern.test(text)) resolve();
    });
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (code) => (code === 0 && pattern.test(text) ? resolve() : reject(new Error(`writer exited (${code}): ${stderr}`))));
  });
}

async function runWriter(dir: string, count: number, seed: number): Promise<void> {
  const child = startWriter(dir, count, 20, 30, seed);
  await line(child, /done \d+/);
  await new Promise((resolve) => (child.exitCode === null ? child.on("exit", resolve) : resolve(undefined)));
}

/** The follower reached what a fresh open reads; its indexes and queries agree with a scan. */
async function caughtUp(follower: Store<Doc>, dir: string, label: string): Promise<void> {
  const fresh = new Store<Doc>();
  await fresh.open(dir, { readOnly: true });
  const seq = fresh.stats().seq;
  const entries = JSON.stringify(fresh.entries());
  await fresh.close();
  await until(`the follower to reach seq ${seq}`, () => follower.stats().seq === seq);
  expect(JSON.stringify(follower.entries())).toBe(entries);
  check(follower, declared, [], label);
}

describe("declared indexes of a follower of a writer in another process", () => {
  it("match a scan through checkpoints, pruning, a restart, and starting over behind retention", async () => {
    const dir = path.join(tempDir(), "store");
    await runWriter(dir, 40, 1);
    const follower = new Store<Doc>();
    await follower.open(dir, { indexes: declared, readOnly: true, follow: true, followPollMs: 10 });
    try {
      await runWriter(dir, 200, 2); // followed live
      await caughtUp(follower, dir, "after a writer");
      await runWriter(dir, 100, 3); // a restart: a new writer continues
      await caughtUp(follower, dir, "after a second writer");
      // The follower's event loop is blocked while a writer goes on: when it looks again, what
      // it needs next was pruned, and it starts over.
      const restarts = restartsOf(follower);
      // Blocked until the writer has finished (a file it writes; stdout needs the event loop),
      // not for a fixed time: on a loaded machine 1 s was not always enough to prune.
      const marker = `${dir}.writer-done`;
      const child = startWriter(dir, 400, 20, 30, 4, marker);
      const done = line(child, /done \d+/);
      const waitUntil = Date.now() + 20_000;
      while (!existsSync(marker) && Date.now() < waitUntil) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      await done;
      await caughtUp(follower, dir, "after starting over");
      expect(restartsOf(follower)).toBeGreaterThan(restarts);
    } finally {
      await follower.close();
    }
  }, 30_000);
});
