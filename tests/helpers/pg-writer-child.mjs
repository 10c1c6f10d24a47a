// A writer process for tests/postgres/multiprocess.test.ts. It runs against the BUILT package
// (dist/), as a user's program would, on two PostgreSQL stores shared with other processes.
//
//   node tests/helpers/pg-writer-child.mjs '<json config>'
//     config: { url, stores: [name, …], seed, child, report, commitTimeoutMs }
//
// It writes random sets (plain, overwrite, expectedVersion), deletes, batches, update() calls,
// undo() and redo() on a few overlapping ids, many of them un-awaited, and appends one JSON line
// per event to `report` with appendFileSync, so a line written before a kill -9 is there:
//   { e: "issue", tag, store, kind, mode, size }      a write was called (size: its operations)
//   { e: "ack", tag, seen, overwritten? }             its promise resolved (seen: [id, JSON text]
//                                                     of what the write replaced, as seen here)
//   { e: "fail", tag, code, message }                 its promise rejected
//   { e: "undo" | "redo", store, result | code }
//   { e: "final", store, seq, text }                  JSON text of entries() once caught up
// IPC from the parent: { cmd: "stop" } (settle everything, answer { stopped: true }), then
// { cmd: "converge", heads: [seq, …] } (wait until stats().seq reaches each store's head, write
// the finals, answer { final: true }, close, exit). It sends { ready: true } once open.
import { appendFileSync } from "node:fs";
import { Store } from "../../dist/index.js";
import { postgres } from "../../dist/postgres.js";

const config = JSON.parse(process.argv[2]);
const ids = ["a", "b", "c", "d", "__proto__"];
const inFlightMax = 12;

let state = config.seed >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (bound) => Math.floor(random() * bound);
const pick = (list) => list[int(list.length)];

function report(entry) {
  appendFileSync(config.report, `${JSON.stringify({ at: Date.now(), ...entry })}\n`);
}

async function openStore(name) {
  for (let attempt = 1; ; attempt++) {
    const store = new Store();
    const storage = postgres({
      connectionString: config.url, store: name, pollMs: 50, max: 4, commitTimeoutMs: config.commitTimeoutMs,
    });
    try {
      await store.open(storage);
      return store;
    } catch (error) {
      // The server may be down (a crash test): try again, as a program would, for a while.
      if (error?.code !== "OPSLOG_IO" || attempt >= 100) throw error;
      report({ e: "open-retry", message: String(error.message) });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

const stores = [];
for (const name of config.stores) stores.push(await openStore(name));
const outstanding = new Set();
let next = 0;
let stopping = false;

/** Values of a few shapes, key order included (JSON text must survive exactly). */
function value(tag) {
  const n = int(1000);
  return pick([
    () => ({ n, tag }),
    () => ({ z: n, a: [config.child, "é\u2028"], m: { y: 1, b: null } }),
    () => ({ tag, nested: { deep: [n, { k: true }] }, text: "x".repeat(int(40)) }),
  ])();
}

/** Calls one random write on store `s`; returns its promise (its outcome is reported). */
function write(s) {
  const store = stores[s];
  const tag = `p${config.child}-${next++}`;
  const meta = { tag };
  const seen = new Map();
  const look = (id) => {
    if (!seen.has(id)) seen.set(id, JSON.stringify(store.get(id) ?? null));
  };
  const roll = int(100);
  let kind = "set";
  let mode = "plain";
  let size = 1;
  let promise;
  try {
    if (roll < 40) {
      const id = pick(ids);
      mode = pick(["plain", "plain", "overwrite", "expected"]);
      look(id);
      if (mode === "overwrite") promise = store.set(id, value(tag), { meta, overwrite: true });
      else if (mode === "expected") promise = store.set(id, value(tag), { meta, expectedVersion: store.version(id) });
      else promise = store.set(id, value(tag), { meta });
    } else if (roll < 52) {
      kind = "delete";
      const id = pick(ids);
      if (!store.has(id)) return Promise.resolve();
      look(id);
      promise = store.delete(id, { meta });
    } else if (roll < 75) {
      kind = "batch";
      const changes = Array.from({ length: 1 + int(3) }, () => ({ id: pick(ids), del: int(4) === 0 }));
      if (changes.every((c) => c.del && !store.has(c.id))) return Promise.resolve();
      size = 0;
      promise = store.batch(() => {
        for (const change of changes) {
          if (change.del && !store.has(change.id)) continue;
          look(change.id);
          size++;
          if (change.del) store.delete(change.id);
          else store.set(change.id, value(tag));
        }
      }, { meta });
    } else {
      kind = "update";
      const id = pick(ids);
      promise = store.update(id, (current) => {
        seen.set(id, JSON.stringify(current ?? null)); // the last call's input is what it replaced
        return { n: Number(current?.n ?? 0) + 1, tag };
      }, { meta });
    }
  } catch (error) {
    promise = Promise.reject(error);
  }
  report({ e: "issue", tag, store: s, kind, mode, size });
  const done = promise.then(
    (result) => {
      const entry = { e: "ack", tag, seen: [...seen] };
      if (mode === "overwrite") {
        entry.overwritten = result.map((o) => ({ id: o.id, value: JSON.stringify(o.value ?? null) }));
      }
      report(entry);
    },
    (error) => report({ e: "fail", tag, code: error?.code ?? "none", message: String(error?.message ?? error) }),
  );
  outstanding.add(done);
  done.finally(() => outstanding.delete(done));
  return done;
}

async function revert(s, kind) {
  await stores[s][kind]().then(
    (result) => report({ e: kind, store: s, result }),
    (error) => report({ e: kind, store: s, code: error?.code ?? "none", message: String(error?.message ?? error) }),
  );
}

async function run() {
  while (!stopping) {
    const s = int(stores.length);
    const roll = int(100);
    if (roll < 5) await revert(s, "undo");
    else if (roll < 8) await revert(s, "redo");
    else if (roll < 14) await new Promise((resolve) => setTimeout(resolve, int(15)));
    else if (roll < 15) {
      // close() settles queued writes, but an update() retrying after a conflict would then
      // meet a closed store (OPSLOG_CLOSED): let every call finish first.
      await Promise.all(outstanding);
      // With the server down, close() rejects (OPSLOG_IO: its checkpoint could not be written)
      // yet the store is closed and nothing written is lost.
      await stores[s].close().catch((error) => {
        if (error?.code !== "OPSLOG_IO") throw error;
        report({ e: "close-failed", store: s, message: String(error.message) });
      });
      stores[s] = await openStore(config.stores[s]);
    } else {
      const done = write(s);
      if (int(3) === 0) await done;
    }
    if (outstanding.size >= inFlightMax) await Promise.race(outstanding);
  }
  await Promise.all(outstanding);
  for (const store of stores) await store.flush();
}

async function converge(heads) {
  const deadline = Date.now() + 30_000;
  for (let s = 0; s < stores.length; s++) {
    while (stores[s].stats().seq < heads[s]) {
      if (Date.now() > deadline) throw new Error(`store ${s} stuck at ${stores[s].stats().seq} < ${heads[s]}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    report({ e: "final", store: s, seq: stores[s].stats().seq, text: JSON.stringify(stores[s].entries()) });
  }
  for (const store of stores) await store.close();
}

let running;
process.on("message", (message) => {
  if (message.cmd === "stop") {
    stopping = true;
    running.then(() => process.send({ stopped: true }));
  } else if (message.cmd === "converge") {
    converge(message.heads).then(
      () => process.send({ final: true }, () => process.disconnect()),
      (error) => process.send({ error: String(error?.stack ?? error) }),
    );
  }
});
running = run().catch((error) => process.send({ error: String(error?.stack ?? error) }));
process.send({ ready: true });
