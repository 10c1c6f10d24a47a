import os from "node:os";
import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import { OpslogError, Store } from "../../src/index.js";
import { Model, describeRecords, sameRecords, type Intent } from "../helpers/model.js";
import { countFromEnv, Random, seedFromEnv } from "../helpers/random.js";
import { SimFileSystem } from "../helpers/sim-fs.js";
import { fixedClock, withTimeout } from "../helpers/workload.js";

/**
 * Corruption fuzzing (SPEC §2.4): damage every kind of file of a real store directory — log
 * segments, snapshot, manifest, archive segment, lock file — by flipping bytes, truncating,
 * zeroing ranges and duplicating ranges. Each open must either give exactly the acknowledged
 * state (or, for damage confined to the end of the active log, the state before its final
 * records: a torn tail), or fail with OPSLOG_CORRUPTION naming the file. Then
 * open({ repair: true }) must open with a state the store really held at some point, report a
 * quarantine file that exists, and a later plain open must agree. Never a raw exception, a hang
 * or wrong data. OPSLOG_SEED replays; OPSLOG_CORRUPTIONS sets the number of damaged copies.
 */
const seed = seedFromEnv();
const corruptions = countFromEnv("OPSLOG_CORRUPTIONS", 1500);
const timeoutMs = 10_000;
const root = "/data/store";

interface Base {
  files: Map<string, Uint8Array>;
  /** The model after each acknowledged call: what the store held over time. */
  history: Model[];
  /** Byte offset of the last write group of the active segment. */
  lastRecordStart: number;
  activeSegment: string;
}

/** Builds a directory with a snapshot, a sealed and an active log segment, an archive
 * segment and a (stale) lock file. */
async function buildBase(rng: Random): Promise<Base> {
  const fs = new SimFileSystem({ seed: rng.nextUint32() });
  fs.mkdirDurable("/data");
  const store = new Store<unknown>();
  const options = { fileSystem: fs, clock: fixedClock, checkpointThreshold: 0, checkpointOnClose: false };
  await store.open(root, options);
  const model = new Model();
  const history = [model.clone()];
  const apply = async (intent: Intent, run: () => Promise<unknown>): Promise<void> => {
    await run();
    model.apply(intent);
    history.push(model.clone());
  };
  const ids = ["a", "b", "c", "d", "e", "ü/1", "__proto__"];
  const writeSome = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++) {
      const id = rng.pick(ids);
      if (model.active.has(id) && rng.chance(0.25)) {
        await apply({ kind: "delete", id }, () => store.delete(id));
      } else if (rng.chance(0.2)) {
        const changes = [{ id, value: { n: i, batch: true } }, { id: `${id}-twin`, value: [i, "twin"] }];
        await apply({ kind: "batch", changes }, () =>
          store.batch(() => {
            for (const c of changes) void store.set(c.id, c.value);
          }),
        );
      } else {
        const value = { n: i, text: "é\n\"".repeat(rng.int(4)), list: [i, null, true] };
        await apply({ kind: "set", id, value }, () => store.set(id, value));
      }
    }
  };
  await writeSome(rng.between(4, 10));
  await apply({ kind: "compact" }, () => store.compact());
  await writeSome(rng.between(3, 8));
  const archived = [...model.active.keys()].filter(() => rng.chance(0.5)).slice(0, 3);
  if (archived.length === 0) archived.push([...model.active.keys()][0] ?? "a");
  const chosen = new Set(archived);
  const archiving = () => store.archive((_v, id) => chosen.has(id), "old");
  await apply({ kind: "archive", ids: archived, segment: "old" }, archiving);
  await writeSome(rng.between(3, 8));
  await store.close();
  const files = new Map<string, Uint8Array>();
  for (const file of fs.listFiles(root)) files.set(file, fs.peekFile(`${root}/${file}`)!);
  const holder = { pid: 4_194_000 + rng.int(100), hostname: os.hostname(), startedAt: new Date(0).toISOString() };
  files.set("LOCK", new TextEncoder().encode(`${JSON.stringify(holder)}\n`));
  const segments = [...files.keys()].filter((f) => f.startsWith("ops/")).sort();
  const activeSegment = segments[segments.length - 1]!;
  const log = files.get(activeSegment)!;
  return { files, history, lastRecordStart: lastGroupStart(log), activeSegment };
}

/** Offset of the first record of the last write group (one append: records sharing "g"). */
function lastGroupStart(log: Uint8Array): number {
  const lines = new TextDecoder().decode(log).split("\n").slice(0, -1);
  const group = (line: string): unknown => (JSON.parse(line) as { g?: unknown }).g;
  const last = lines[lines.length - 1];
  if (last === undefined) return 0;
  let first = lines.length - 1;
  while (first > 0 && group(lines[first - 1]!) === group(last)) first--;
  return Buffer.byteLength(lines.slice(0, first).map((l) => `${l}\n`).join(""));
}

type Damage = { kind: "flip" | "zero" | "truncate" | "duplicate"; file: string; at: number; length: number };

function randomDamage(rng: Random, base: Base): Damage {
  const file = rng.pick([...base.files.keys()]);
  const size = base.files.get(file)!.length;
  const kind = rng.pick(["flip", "zero", "truncate", "duplicate"] as const);
  const at = rng.int(Math.max(1, size));
  const length = kind === "flip" ? 1 : rng.between(1, Math.max(1, Math.min(64, size - at)));
  return { kind, file, at, length };
}

function damaged(bytes: Uint8Array, d: Damage, rng: Random): Uint8Array {
  const out = Uint8Array.from(bytes);
  switch (d.kind) {
    case "flip":
      if (out.length > 0) out[d.at] = out[d.at]! ^ (1 << rng.int(8));
      return out;
    case "zero":
      out.fill(0, d.at, d.at + d.length);
      return out;
    case "truncate":
      return out.subarray(0, d.at);
    case "duplicate": {
      const range = bytes.subarray(d.at, d.at + d.length);
      const result = new Uint8Array(bytes.length + range.length);
      result.set(bytes.subarray(0, d.at + d.length));
      result.set(range, d.at + d.length);
      result.set(bytes.subarray(d.at + d.length), d.at + d.length + range.length);
      return result;
    }
  }
}

function fileSystemWith(files: Map<string, Uint8Array>, fsSeed: number): SimFileSystem {
  const fs = new SimFileSystem({ seed: fsSeed });
  for (const dir of ["ops", "snapshots", "archive"]) fs.mkdirDurable(`${root}/${dir}`);
  for (const [file, bytes] of files) fs.pokeFile(`${root}/${file}`, bytes);
  return fs;
}

/** Reads the state; an archive segment may report its own corruption (it is read lazily). */
async function read(
  store: Store<unknown>,
): Promise<{ active: Map<string, unknown>; archive: Map<string, unknown> | Error }> {
  const active = new Map(store.entries());
  let archive: Map<string, unknown> | Error;
  try {
    archive = new Map(await store.loadArchive("old"));
  } catch (error) {
    archive = error as Error;
  }
  return { active, archive };
}

function isCorruptionOf(error: unknown, file: string): boolean {
  if (!(error instanceof OpslogError) || error.code !== "OPSLOG_CORRUPTION") return false;
  const base = file.split("/").pop()!;
  return error.message.includes(base) || String((error as { file?: unknown }).file).includes(base);
}

/** Problems with one damaged copy; an empty list when every rule held. */
async function trial(base: Base, d: Damage, rng: Random): Promise<string[]> {
  const files = new Map(base.files);
  files.set(d.file, damaged(base.files.get(d.file)!, d, rng));
  const fs = fileSystemWith(files, rng.nextUint32());
  const final = base.history[base.history.length - 1]!;
  // Damage reaching into the last write group of the active segment looks like a torn append
  // (a zeroed or shifted newline merges the records after it into one damaged last line).
  const end = d.at + (d.kind === "duplicate" ? 2 * d.length : d.length);
  const tailOnly = d.file === base.activeSegment && (d.kind === "truncate" || end >= base.lastRecordStart);
  const store = new Store<unknown>();
  const options = { fileSystem: fs, clock: fixedClock, checkpointThreshold: 0, checkpointOnClose: false };
  let openError: unknown;
  try {
    await withTimeout(store.open(root, options), timeoutMs, "open");
  } catch (error) {
    openError = error;
  }
  if (openError === undefined) {
    const seen = await read(store);
    await store.close();
    const problems: string[] = [];
    const fits = tailOnly
      ? base.history.some((m) => sameRecords(seen.active, m.active))
      : sameRecords(seen.active, final.active);
    if (!fits) {
      const prefix = base.history.findIndex((m) => sameRecords(seen.active, m.active));
      const calls = base.history.length - 1;
      const what = prefix >= 0 ? `the state after call ${prefix} of ${calls}` : "wrong data";
      const expected = describeRecords(final.active);
      problems.push(`open succeeded with ${what}: ${describeRecords(seen.active)}, expected ${expected}`);
    }
    const archiveOk =
      seen.archive instanceof Error
        ? d.file.startsWith("archive/") && isCorruptionOf(seen.archive, d.file)
        : sameRecords(seen.archive, final.archive.get("old") ?? new Map()) || tailOnly;
    if (!archiveOk) {
      const got = seen.archive instanceof Error ? String(seen.archive) : describeRecords(seen.archive);
      problems.push(`archive segment read wrong: ${got}`);
    }
    return problems;
  }
  // A damaged LOCK may name a holder on another host, which cannot be checked: locked is right.
  if (d.file === "LOCK" && openError instanceof OpslogError && openError.code === "OPSLOG_LOCKED") return [];
  if (!isCorruptionOf(openError, d.file)) {
    const code = (openError as { code?: unknown } | null)?.code;
    return [`open failed without OPSLOG_CORRUPTION naming ${d.file}: ${String(code)} ${String(openError)}`];
  }
  return repairTrial(base, fs, d, options);
}

async function repairTrial(
  base: Base,
  fs: SimFileSystem,
  d: Damage,
  options: {
    fileSystem: SimFileSystem;
    clock: () => number;
    checkpointThreshold: number;
    checkpointOnClose: boolean;
  },
): Promise<string[]> {
  const store = new Store<unknown>();
  try {
    await withTimeout(store.open(root, { ...options, repair: true }), timeoutMs, "repair open");
  } catch (error) {
    return [`open({ repair: true }) failed: ${String((error as { code?: unknown }).code)} ${String(error)}`];
  }
  const problems: string[] = [];
  const active = new Map(store.entries());
  const report = store.stats().repair;
  await store.close();
  const everHeld = (id: string, value: unknown): boolean =>
    base.history.some((m) => isDeepStrictEqual(m.active.get(id), value) && m.active.has(id));
  const isPrefix = base.history.some((m) => sameRecords(active, m.active));
  const noInventions = [...active].every(([id, value]) => everHeld(id, value));
  if (d.file.startsWith("ops/") ? !isPrefix : !noInventions) {
    problems.push(`repair kept data the store never held together: ${describeRecords(active)}`);
  }
  const quarantined = report?.quarantined ?? [];
  if (quarantined.length === 0) problems.push("repair reported no quarantine file");
  const present = new Set(fs.listFiles(root));
  for (const q of quarantined) {
    if (!present.has(q.quarantineFile)) problems.push(`quarantine file ${q.quarantineFile} does not exist`);
  }
  const again = new Store<unknown>();
  try {
    await withTimeout(again.open(root, options), timeoutMs, "open after repair");
    if (!sameRecords(new Map(again.entries()), active)) problems.push("a plain open after repair shows other data");
    await again.close();
  } catch (error) {
    problems.push(`a plain open after repair failed: ${String(error)}`);
  }
  return problems;
}

describe("corruption fuzzing", () => {
  it(`damages ${corruptions} copies of store directories (OPSLOG_SEED=${seed})`, async () => {
    const master = new Random(seed);
    const found = new Map<string, string>();
    const perKind = new Map<string, number>();
    let done = 0;
    const started = Date.now();
    while (done < corruptions) {
      const baseSeed = master.nextUint32();
      const base = await buildBase(new Random(baseSeed));
      for (let i = 0; i < 100 && done < corruptions; i++, done++) {
        const d = randomDamage(master, base);
        const fileKind = d.file.split(/[/-]/)[0]!;
        perKind.set(fileKind, (perKind.get(fileKind) ?? 0) + 1);
        for (const problem of await trial(base, d, new Random(master.nextUint32()))) {
          const kind = `${fileKind} ${d.kind}: ${problem.replace(/\d+/g, "N").slice(0, 100)}`;
          const example = `${kind}\n${problem}\ndamage: ${JSON.stringify(d)} (base seed ${baseSeed})`;
          if (!found.has(kind)) found.set(kind, example);
        }
      }
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const kinds = JSON.stringify(Object.fromEntries(perKind));
    console.log(`corruption: ${done} damaged copies (${kinds}) in ${seconds} s, OPSLOG_SEED=${seed}`);
    const report = [...found.values()].join("\n\n");
    const replay = `replay: OPSLOG_SEED=${seed} npx vitest run tests/corruption/fuzz.test.ts`;
    expect([...found.keys()], `${report}\n${replay}`).toEqual([]);
    expect([...perKind.keys()].sort()).toEqual(["DURABLE", "LOCK", "archive", "manifest.json", "ops", "snapshots"]);
  }, 600_000);
});
