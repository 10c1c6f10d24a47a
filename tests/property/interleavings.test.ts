import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OpslogError, Store } from "../../src/index.js";
import { objectOf } from "../helpers/history-model.js";
import { prototypeProblem, Runner, type Config, type Edit, type Step } from "../helpers/interleave-run.js";
import { SimFileSystem } from "../helpers/sim-fs.js";
import { fixedClock } from "../helpers/workload.js";

/**
 * Model-based property test of call order and value fidelity (SPEC §1, §2.3, §3a): fast-check
 * generates steps that may start before the previous one resolved (set, update, delete,
 * batch, undo, redo, compact, archive, close + reopen with a migration or a double close),
 * under random retention policies and checkpoint thresholds, with values whose keys include
 * "__proto__", "constructor" and "toString", nested key orders that vary, nulls at every depth
 * but the top, and objects large enough for reverse deltas. Mutations apply at their call, in
 * call order. After every step (and every reopen) values are compared by JSON text, key order
 * included: get(), entries(), all(); at the end of each phase also getHistory(), getOps() and
 * at(seq) views. After each reopen Object.prototype must be neither frozen nor changed.
 *
 * OPSLOG_PROPERTY_RUNS sets the runs per property; OPSLOG_SEED (and OPSLOG_PATH) replay a
 * failure; OPSLOG_INTERLEAVE_WITHOUT="archive,migrate,…" leaves step kinds out (to look for
 * a second defect behind the first).
 */
const runs = Number(process.env["OPSLOG_PROPERTY_RUNS"] ?? 60);
const seedText = process.env["OPSLOG_SEED"];
const seed = seedText ? Number(seedText) : Math.floor(Math.random() * 0x7fffffff);
const replayPath = process.env["OPSLOG_PATH"];
const without = new Set((process.env["OPSLOG_INTERLEAVE_WITHOUT"] ?? "").split(",").filter(Boolean));

const keyNames = ["__proto__", "constructor", "toString", "p", "q", "r", "s", "t"] as const;
const ids = ["a", "b", "c", "__proto__", "constructor", "toString"] as const;
const segments = ["old", "cold"] as const;

const key = fc.constantFrom(...keyNames);
const leaf = fc.oneof(
  fc.integer({ min: -9, max: 999 }),
  fc.string({ maxLength: 4 }),
  fc.string({ minLength: 20, maxLength: 60 }), // Long enough that a delta beats the whole prev.
  fc.boolean(),
  fc.constant(null),
  fc.constant({}), // An empty object: what an inherited member looks like to a careless walk.
);
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof({ maxDepth: 3, depthIdentifier: "tree" }, leaf, tie("array"), tie("object")),
  array: fc.array(tie("tree"), { maxLength: 3 }),
  object: fc
    .uniqueArray(fc.tuple(key, tie("tree")), { selector: ([k]) => k, maxLength: 4 })
    .map((entries) => objectOf(entries)),
}));
/** A member of a record: often a nested object, so that its key order can change. */
const member = fc.oneof(tree, nestedObject());
function nestedObject(): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .uniqueArray(fc.tuple(key, leaf), { selector: ([k]) => k, minLength: 2, maxLength: 4 })
    .map((entries) => objectOf(entries));
}
const objectValue = (minLength: number): fc.Arbitrary<Record<string, unknown>> =>
  fc
    .uniqueArray(fc.tuple(key, member), { selector: ([k]) => k, minLength, maxLength: 7 })
    .map((entries) => objectOf(entries));
/**
 * A record of more than half a snapshot write chunk (src/storage/fs/record-file.ts, 1 MiB):
 * a snapshot holding two yields to the event loop while it is written, so a compact() and a
 * background checkpoint can overlap.
 */
const big = fc.integer({ min: 0, max: 9 }).map((n) => objectOf([["n", n], ["big", "b".repeat(600_000)]]));
/** A record: mostly an object, never a top-level null (that is an error, tested below). */
const value = fc.oneof(
  { weight: 8, arbitrary: objectValue(1) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
  { weight: 1, arbitrary: fc.array(tree, { maxLength: 3 }) },
);
// Few ids, one of them likely: updates then often change a record that is already large.
const id = fc.oneof({ weight: 3, arbitrary: fc.constant("a") }, fc.constantFrom(...ids));
const wait = fc.boolean();

const edits: [string, fc.Arbitrary<Edit>][] = [
  ["set", fc.record({ action: fc.constant("set" as const), key, value: tree })],
  ["delete", fc.record({ action: fc.constant("delete" as const), key })],
  ["reorder", fc.record({ action: fc.constant("reorder" as const), key })],
  ["nested", fc.record({ action: fc.constant("nested" as const), key, inner: key, value: tree })],
];
const edit: fc.Arbitrary<Edit> = fc.oneof(...edits.filter(([name]) => !without.has(name)).map(([, a]) => a));

const steps: { kind: Step["kind"]; weight: number; arbitrary: fc.Arbitrary<Step> }[] = [
  { kind: "set", weight: 6, arbitrary: fc.record({ kind: fc.constant("set" as const), id, value, wait }) },
  {
    kind: "update",
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("update" as const), id, base: objectValue(4),
      edits: fc.array(edit, { minLength: 1, maxLength: 2 }), wait,
    }),
  },
  { kind: "delete", weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), id, wait }) },
  {
    kind: "batch",
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("batch" as const),
      ops: fc.array(fc.record({ id, value: fc.option(value, { nil: undefined }) }), { maxLength: 4 }),
      fail: fc.boolean(),
      wait,
    }),
  },
  {
    kind: "pause",
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("pause" as const), turns: fc.integer({ min: 1, max: 3 }) }),
  },
  { kind: "undo", weight: 3, arbitrary: fc.record({ kind: fc.constant("undo" as const), wait }) },
  { kind: "redo", weight: 1, arbitrary: fc.record({ kind: fc.constant("redo" as const), wait }) },
  { kind: "compact", weight: 2, arbitrary: fc.record({ kind: fc.constant("compact" as const), wait }) },
  {
    kind: "archive",
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("archive" as const),
      ids: fc.subarray([...ids], { minLength: 1 }),
      segment: fc.constantFrom(...segments),
      wait,
    }),
  },
  {
    kind: "reopen",
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("reopen" as const), migrate: fc.boolean(), doubleClose: fc.boolean(),
    }).map((r) => ({
      ...r, migrate: r.migrate && !without.has("migrate"), doubleClose: r.doubleClose && !without.has("double-close"),
    })),
  },
];
/**
 * A checkpoint race (issue 10, defect 1): large records on a few ids (awaited), so that a
 * snapshot of them is written in several chunks; a compact() not awaited; a pause of a few
 * event-loop turns; then deletes of some of them, which start a smaller background checkpoint
 * (when the threshold is reached) while the compact() is still writing.
 */
const race: fc.Arbitrary<Step[]> = fc
  .record({
    values: fc.array(big, { minLength: 2, maxLength: 4 }),
    turns: fc.integer({ min: 0, max: 3 }),
    deletes: fc.integer({ min: 1, max: 3 }),
  })
  .map(({ values, turns, deletes }) => [
    ...values.map((v, i) => ({ kind: "set" as const, id: ids[i]!, value: v, wait: i === values.length - 1 })),
    { kind: "compact" as const, wait: false },
    ...(turns > 0 ? [{ kind: "pause" as const, turns }] : []),
    { kind: "batch" as const, ops: ids.slice(0, Math.min(deletes, values.length)).map((id) => ({ id })), fail: false, wait: true },
  ]);
/**
 * A dropped own "__proto__" (issue 10, defect 4): a record with an own `"__proto__": {}` and
 * enough fields for a reverse delta, an update that deletes that key, then a reopen (which reads
 * the delta back and deep-freezes the rebuilt prev).
 */
const protoDrop: fc.Arbitrary<Step[]> = fc
  .record({ id, fields: fc.array(tree, { minLength: 4, maxLength: 6 }), wait })
  .map(({ id: target, fields, wait: waitUpdate }) => {
    const base = objectOf([["__proto__", {}], ...fields.map((v, i): [string, unknown] => [keyNames[i + 3]!, v])]);
    return [
      { kind: "set" as const, id: target, value: base, wait: true },
      { kind: "update" as const, id: target, base, edits: [{ action: "delete" as const, key: "__proto__" as const }], wait: waitUpdate },
      { kind: "reopen" as const, migrate: false, doubleClose: false },
    ];
  });
/**
 * A nested reorder (issue 10, defect 5): an update that only reverses the keys of one nested
 * object of a record wide enough for a reverse delta, then a reopen.
 */
const nestedReorder: fc.Arbitrary<Step[]> = fc
  .record({ id, inner: fc.uniqueArray(key, { minLength: 2, maxLength: 4 }), leaves: fc.array(leaf, { minLength: 5, maxLength: 5 }), wait })
  .map(({ id: target, inner, leaves, wait: waitUpdate }) => {
    const nested = objectOf(inner.map((k, i): [string, unknown] => [k, leaves[i]]));
    const base = objectOf([["p", nested], ["q", leaves[0]], ["r", leaves[1]], ["s", leaves[2]], ["t", leaves[3]]]);
    return [
      { kind: "set" as const, id: target, value: base, wait: true },
      { kind: "update" as const, id: target, base, edits: [{ action: "reorder" as const, key: "p" as const }], wait: waitUpdate },
      { kind: "reopen" as const, migrate: false, doubleClose: false },
    ];
  });
const step: fc.Arbitrary<Step[]> = fc.oneof(
  ...steps.filter((s) => !without.has(s.kind)).map((s) => ({ weight: s.weight, arbitrary: s.arbitrary.map((one) => [one]) })),
  ...(without.has("race") ? [] : [{ weight: 2, arbitrary: race }]),
  ...(without.has("proto-drop") ? [] : [{ weight: 1, arbitrary: protoDrop }]),
  ...(without.has("nested-reorder") ? [] : [{ weight: 1, arbitrary: nestedReorder }]),
);

const config: fc.Arbitrary<Config> = fc.record({
  retain: fc.oneof(
    fc.constant("all" as const),
    fc.constant({ ops: 0 }),
    fc.integer({ min: 1, max: 6 }).map((ops) => ({ ops })),
  ),
  checkpointThreshold: fc.oneof(fc.constant(undefined), fc.constant(0), fc.integer({ min: 1, max: 10 })),
  checkpointOnClose: fc.option(fc.boolean(), { nil: undefined }),
});

let dirs = 0;

async function run(input: { config: Config; steps: Step[] }): Promise<void> {
  // A run that froze Object.prototype spoils every later one in this process: skip them, so
  // that fast-check reports the run that did it (shrinking then stops there).
  fc.pre(prototypeProblem() === undefined);
  const fs = new SimFileSystem({ seed: 1 });
  fs.mkdirDurable("/data");
  const runner = new Runner(`/data/run-${++dirs}`, { fileSystem: fs, clock: fixedClock }, input.config, ids, without);
  await runner.open();
  runner.checkNow();
  for (const [i, s] of input.steps.entries()) {
    const phaseEnd = runner.run(s, i); // Not awaited unless the step ends its phase.
    if (phaseEnd) await phaseEnd;
  }
  await runner.finish();
}

function parameters(): fc.Parameters<[{ config: Config; steps: Step[] }]> {
  return replayPath === undefined ? { seed, numRuns: runs } : { seed, path: replayPath, numRuns: runs };
}

describe("model-based: interleaved calls, retention, awkward keys, migrations", () => {
  it(`match the model by JSON text after every step (OPSLOG_SEED=${seed})`, async () => {
    console.log(`interleavings: OPSLOG_SEED=${seed} npx vitest run tests/property/interleavings.test.ts`);
    const input = fc.record({ config, steps: fc.array(step, { maxLength: 30 }).map((groups) => groups.flat()) });
    await fc.assert(fc.asyncProperty(input, run), parameters());
  }, 300_000);

  // The checkpoint race of defect 1 needs a small threshold and little retention: a focused
  // property with those, so that CI meets the race in every run instead of in one config of nine.
  it(`survive checkpoint races with small thresholds and no retention (OPSLOG_SEED=${seed})`, async () => {
    const raceConfig: fc.Arbitrary<Config> = fc.record({
      retain: fc.oneof(fc.constant({ ops: 0 }), fc.integer({ min: 1, max: 2 }).map((ops) => ({ ops }))),
      checkpointThreshold: fc.integer({ min: 1, max: 5 }),
      checkpointOnClose: fc.option(fc.boolean(), { nil: undefined }),
    });
    const racing = fc.array(fc.oneof({ weight: 3, arbitrary: race }, step), { minLength: 1, maxLength: 4 });
    const input = fc.record({ config: raceConfig, steps: racing.map((groups) => groups.flat()) });
    await fc.assert(fc.asyncProperty(input, run), { seed, numRuns: Math.max(1, Math.ceil(runs / 3)) });
  }, 300_000);

  it("reject a top-level null at the call and change nothing (nested nulls are fine)", async () => {
    const fs = new SimFileSystem({ seed: 2 });
    fs.mkdirDurable("/data");
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(id, value), { maxLength: 6 }), id, async (records, target) => {
        const store = new Store<unknown>();
        await store.open(`/data/null-${++dirs}`, { fileSystem: fs, clock: fixedClock });
        for (const [k, v] of records) await store.set(k, v);
        const before = JSON.stringify(store.entries());
        const seqBefore = store.stats().seq;
        const attempts: (() => unknown)[] = [
          () => store.set(target, null),
          () => store.batch(() => void store.set(target, null)),
        ];
        for (const attempt of attempts) {
          let thrown: unknown;
          try {
            await attempt();
          } catch (error) {
            thrown = error;
          }
          expect(thrown instanceof OpslogError && thrown.code, "a top-level null").toBe("OPSLOG_INVALID_VALUE");
        }
        expect(JSON.stringify(store.entries())).toBe(before);
        expect(store.stats().seq).toBe(seqBefore);
        await store.set(target, objectOf([["n", null], ["deep", [null, objectOf([["x", null]])]]]));
        expect(JSON.stringify(store.get(target))).toBe('{"n":null,"deep":[null,{"x":null}]}');
        await store.close();
      }),
      { seed, numRuns: 20 },
    );
  });
});
