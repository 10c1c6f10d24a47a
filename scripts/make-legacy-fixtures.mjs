#!/usr/bin/env node
/**
 * Generates tests/fixtures/legacy/: directories written by the ORIGINAL opslog
 * (@backloghq/opslog 0.8.1, the 0.1–0.8 line), plus expected.json holding what the old package
 * itself reports for each one (state, getOps/getHistory, archive segments and their contents).
 *
 * The old package is not a dependency of ours. Install it in a scratch directory and point this
 * script at it:
 *
 *   mkdir -p /tmp/legacy && cd /tmp/legacy && npm init -y && npm install @backloghq/opslog@0.8.1
 *   node scripts/make-legacy-fixtures.mjs /tmp/legacy      (or OPSLOG_LEGACY_DIR=/tmp/legacy)
 *
 * Fixtures named d-* use formats 0.8.1 still reads but no longer writes (monolithic JSON
 * snapshots of 0.1–0.4); they are written by hand here and then read back with the real package.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outRoot = join(repoRoot, "tests", "fixtures", "legacy");
const scratch = process.argv[2] ?? process.env.OPSLOG_LEGACY_DIR;
if (!scratch) {
  console.error("usage: node scripts/make-legacy-fixtures.mjs <dir with @backloghq/opslog@0.8.1>");
  process.exit(2);
}
const pkgDir = join(resolve(scratch), "node_modules", "@backloghq", "opslog");
const pkgVersion = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).version;
if (pkgVersion !== "0.8.1") throw new Error(`need @backloghq/opslog 0.8.1, found ${pkgVersion}`);
const legacy = await import(pathToFileURL(join(pkgDir, "dist", "index.js")).href);
const { Store, applyDelta } = legacy;

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
const big = (tag) => ({ title: `${tag} `.repeat(20), body: "lorem ipsum ".repeat(10), n: 1 });

function fresh(name) {
  const dir = join(outRoot, name);
  rmSync(dir, { recursive: true, force: true });
  return dir;
}

async function openOld(dir, options = {}) {
  const store = new Store();
  await store.open(dir, options);
  return store;
}

/** (a) snapshot + un-checkpointed log: sets, updates (full/delta prev), deletes, batch, undo. */
async function makeSnapshotAndLog() {
  const dir = fresh("a-snapshot-and-log");
  const s = await openOld(dir, { checkpointOnClose: false });
  await s.set("alpha", { name: "Alpha", status: "todo" });
  await s.set("beta", { name: "Beta", status: "todo", tags: ["x", "y"] });
  await s.set("gamma", big("gamma"));
  await s.set("doomed", { name: "Doomed" });
  await sleep(5);
  await s.compact();
  await sleep(5);
  await s.set("alpha", { name: "Alpha", status: "done" });
  await s.set("gamma", { ...big("gamma"), n: 2 });
  await s.delete("doomed");
  await s.set("delta", { name: "Delta", nested: { deep: [1, 2, { z: null }] } });
  await s.set("undone", { name: "Undone" });
  await s.undo(); // old undo truncates the log; keep it before any non-ASCII text (see g-*)
  await s.batch(() => {
    s.set("batch-1", { name: "B1" });
    s.set("batch-2", { name: "B2", unicode: "naïve ☃ 𝄞" });
    s.delete("beta");
    s.set("alpha", { name: "Alpha", status: "archived" });
  });
  await s.close();
  return dir;
}

/** (b) archive segments: two archive() calls into one period (merged), one into another. */
async function makeArchive() {
  const dir = fresh("b-archive");
  const s = await openOld(dir, { checkpointOnClose: false });
  for (let i = 1; i <= 6; i++) await s.set(`task-${i}`, { n: i, done: i % 2 === 0 });
  await sleep(5);
  await s.archive((v) => v.n <= 2, "2024-Q1");
  await sleep(5);
  await s.archive((v) => v.n === 3, "2024-Q1");
  await sleep(5);
  await s.archive((v) => v.n === 4, "old");
  await sleep(5);
  await s.set("task-5", { n: 5, done: true });
  await s.set("task-7", { n: 7, done: false });
  await s.close();
  return dir;
}

/** (c) schema version 2 after a migration, with ops after the v2 checkpoint. */
async function makeSchemaV2() {
  const dir = fresh("c-schema-v2");
  const v1 = await openOld(dir);
  await v1.set("u1", { name: "Ann" });
  await v1.set("u2", { name: "Bob" });
  await v1.close(); // checkpoints: snapshot and manifest at version 1
  await sleep(5);
  const migrate = (record, from) => (from < 2 ? { ...record, email: null } : record);
  const v2 = await openOld(dir, { version: 2, migrate });
  await v2.set("u3", { name: "Cy", email: "cy@example.com" });
  await v2.close(); // checkpoints the migrated state: snapshot and manifest at version 2
  await sleep(5);
  const again = await openOld(dir, { version: 2, migrate, checkpointOnClose: false });
  await again.set("u1", { name: "Ann", email: "ann@example.com" });
  await again.close();
  return dir;
}

/** (c') a fresh store opened with version 2 and never checkpointed: manifest 1, snapshot 2. */
async function makeSchemaV2Unchecked() {
  const dir = fresh("c-schema-v2-unchecked");
  const s = await openOld(dir, { version: 2, checkpointOnClose: false });
  await s.set("u1", { name: "Ann", email: "ann@example.com" });
  await s.close();
  return dir;
}

/**
 * (e) multi-writer (0.3+): per-agent logs merged by (Lamport clock, agent). Both agents open
 * before either writes, so file order (alice's ops, then bob's) differs from clock order.
 */
async function makeMultiWriter() {
  const dir = fresh("e-multi-writer");
  const alice = await openOld(dir, { agentId: "alice", checkpointOnClose: false });
  const bob = await openOld(dir, { agentId: "bob", checkpointOnClose: false });
  await bob.set("doc", { by: "bob" }); // clock 1
  await alice.set("x", { by: "alice" }); // clock 1
  await alice.set("doc", { by: "alice" }); // clock 2: wins over bob's clock 1
  await bob.set("bob-only", { by: "bob" }); // clock 2
  await bob.close();
  await alice.close();
  return dir;
}

/** Writes a hand-made directory in a format 0.8.1 reads but no longer writes. */
function writeHandMade(name, { snapshot, snapshotFile, ops, opsFile }) {
  const dir = fresh(name);
  for (const sub of ["snapshots", "ops", "archive"]) mkdirSync(join(dir, sub), { recursive: true });
  const manifest = {
    version: 1,
    currentSnapshot: `snapshots/${snapshotFile}`,
    activeOps: `ops/${opsFile}`,
    archiveSegments: [],
    stats: {
      activeRecords: 0,
      archivedRecords: 0,
      opsCount: 0,
      created: "2024-04-06T08:00:00.000Z",
      lastCheckpoint: "2024-04-06T08:00:00.000Z",
    },
  };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
  writeFileSync(join(dir, "snapshots", snapshotFile), snapshot);
  if (ops !== undefined) writeFileSync(join(dir, "ops", opsFile), ops);
  return dir;
}

const oldRecords = {
  b: { title: "Bee", status: "todo" },
  a: { title: "Ay", status: "todo" },
  10: { title: "Ten" },
  2: { title: "Two" },
};
const line = (op) => JSON.stringify(op) + "\n";
const ts = (second) => `2024-04-06T09:00:${String(second).padStart(2, "0")}.000Z`;

/** (d) 0.1–0.4 monolithic JSON snapshots (pretty-printed and single-line) with 0.1-style ops. */
function makeOldVariants() {
  const snapshot = { version: 1, timestamp: "2024-04-06T08:00:00.000Z", records: oldRecords };
  writeHandMade("d-json-snapshot-pretty", {
    snapshot: JSON.stringify(snapshot, null, 2),
    snapshotFile: "snap-1712390400000.json",
    opsFile: "ops-1712390400001.jsonl",
    ops:
      line({ ts: ts(1), op: "set", id: "c", data: { title: "See" }, prev: null }) +
      line({ ts: ts(2), op: "set", id: "a", data: { title: "Ay", status: "done" },
        prev: oldRecords.a }) +
      line({ ts: ts(3), op: "delete", id: "b", prev: oldRecords.b }) +
      line({ ts: ts(4), op: "set", id: "2", data: { title: "Deux" }, prev: oldRecords[2],
        encoding: "full" }),
  });
  writeHandMade("d-json-snapshot-single-line", {
    snapshot: JSON.stringify(snapshot),
    snapshotFile: "snap-1712390400000.json",
    opsFile: "ops-1712390400001.jsonl",
    ops:
      line({ ts: ts(1), op: "delete", id: "10", prev: oldRecords[10] }) +
      "\n" +
      line({ ts: ts(2), op: "set", id: "10", data: { title: "Ten again" }, prev: null }),
  });
  writeHandMade("d-missing-ops-file", {
    snapshot: JSON.stringify(snapshot, null, 2),
    snapshotFile: "snap-1712390400000.json",
    opsFile: "ops-1712390400001.jsonl",
    ops: undefined,
  });
}

/**
 * (g) damage the old package itself causes: its undo truncates at a character index used as a
 * byte offset, so after non-ASCII data it cuts into the previous line and the next append is
 * glued onto it. 0.8.1 then silently skips the glued line (losing both operations).
 */
async function makeUndoDamage() {
  const dir = fresh("g-undo-multibyte-damage");
  const s = await openOld(dir, { checkpointOnClose: false });
  await s.set("a", { name: "café crème" });
  await s.set("b", { name: "x" });
  await s.undo();
  await s.set("c", { name: "y" });
  await s.close();
  return dir;
}

function listFiles(dir, base = dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listFiles(path, base));
    else out.push(relative(base, path).split("\\").join("/"));
  }
  return out.sort();
}

/** An old operation with its prev as a full record: delta prevs are resolved with applyDelta. */
function fullPrev(op) {
  const { encoding, ...rest } = op;
  if (encoding !== "delta") return rest;
  return { ...rest, prev: applyDelta(op.data, op.prev) };
}

/** What the real old package reports for `dir`, read from a throwaway copy. */
async function observe(dir, agentId) {
  const copy = join(outRoot, `.observe-${Date.now()}`);
  cpSync(dir, copy, { recursive: true });
  try {
    const s = await openOld(copy, agentId ? { readOnly: true, agentId } : { readOnly: true });
    const rawOps = s.getOps();
    const ids = [...new Set(rawOps.map((op) => op.id))].sort();
    const history = Object.fromEntries(ids.map((id) => [id, s.getHistory(id).map(fullPrev)]));
    const archives = {};
    for (const segment of s.listArchiveSegments()) {
      archives[segment] = [...(await s.loadArchive(segment)).entries()];
    }
    const result = {
      schemaVersion: s.version,
      manifestVersion: JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")).version,
      state: s.entries(),
      ops: rawOps.map(fullPrev),
      rawOps,
      history,
      archiveSegments: s.listArchiveSegments(),
      archives,
      stats: s.stats(),
      files: listFiles(dir),
    };
    await s.close();
    return result;
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

async function main() {
  mkdirSync(outRoot, { recursive: true });
  const made = {
    "a-snapshot-and-log": await makeSnapshotAndLog(),
    "b-archive": await makeArchive(),
    "c-schema-v2": await makeSchemaV2(),
    "c-schema-v2-unchecked": await makeSchemaV2Unchecked(),
    "e-multi-writer": await makeMultiWriter(),
    "g-undo-multibyte-damage": await makeUndoDamage(),
  };
  makeOldVariants();
  const handMade = ["d-json-snapshot-pretty", "d-json-snapshot-single-line", "d-missing-ops-file"];
  for (const name of handMade) made[name] = join(outRoot, name);
  const fixtures = {};
  for (const name of Object.keys(made).sort()) {
    fixtures[name] = await observe(made[name], name.startsWith("e-") ? "zz-observer" : undefined);
  }
  const damaged = fixtures["g-undo-multibyte-damage"];
  // Our reader must stop with CorruptionError where the glued line stops being JSON: at "}{".
  const opsFile = damaged.files.find((file) => file.startsWith("ops/"));
  const glued = readFileSync(join(made["g-undo-multibyte-damage"], opsFile));
  damaged.readerError = { file: opsFile, offset: glued.indexOf("}{") + 1 };
  const expected = { generatedBy: `@backloghq/opslog ${pkgVersion}`, fixtures };
  writeFileSync(join(outRoot, "expected.json"), JSON.stringify(expected, null, 2) + "\n");
  console.log(`wrote ${Object.keys(fixtures).length} fixtures to ${relative(repoRoot, outRoot)}`);
}

await main();
