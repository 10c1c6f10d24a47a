/**
 * The worker thread behind PgSyncReader (pg-sync-reader.ts), as source text run with
 * `new Worker(source, { eval: true })`: the same text works from src under vitest and from
 * dist, with no second build output to locate. It holds one pg Client of its own, loaded from
 * the absolute path the main thread resolved, and answers requests one at a time, in order:
 * { id, text, values, wake } → { id, rows } or { id, error }. After answering a request with
 * `wake`, it sets the shared flag and notifies the main thread blocked in Atomics.wait.
 */
export const syncWorkerSource = `
"use strict";
const { workerData } = require("node:worker_threads");
const pg = require(workerData.pgPath);
const { port, flag, config } = workerData;
const rawTypes = { getTypeParser: () => (text) => text };
let client;
let queue = Promise.resolve();

async function connected() {
  if (client) return client;
  const fresh = new pg.Client(config);
  fresh.on("error", () => { if (client === fresh) client = undefined; });
  try {
    await fresh.connect();
  } catch (error) {
    fresh.end().catch(() => undefined);
    throw error;
  }
  client = fresh;
  return fresh;
}

function broken(error) {
  const code = error?.code;
  return typeof code !== "string" || /^(08|57P)/.test(code) || !/^[0-9A-Z]{5}$/.test(code);
}

async function attempt(request) {
  const db = await connected();
  try {
    return await db.query({
      text: request.text, values: request.values, types: rawTypes, rowMode: "array",
    });
  } catch (error) {
    if (broken(error) && client === db) {
      client = undefined;
      db.end().catch(() => undefined);
    }
    throw error;
  }
}

async function answer(request) {
  let reply;
  try {
    let result;
    try {
      result = await attempt(request);
    } catch (error) {
      // A connection that broke while idle (a server restart) fails its next query: one retry
      // on a fresh connection. Every request is a read or an idempotent statement.
      if (!broken(error)) throw error;
      result = await attempt(request);
    }
    reply = { id: request.id, rows: result.rows };
  } catch (error) {
    reply = { id: request.id, error: { message: String(error?.message ?? error), code: error?.code } };
  }
  port.postMessage(reply);
  if (request.wake) {
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  }
}

port.on("message", (request) => {
  if (request === "stop") {
    queue = queue.then(async () => {
      if (client) await client.end().catch(() => undefined);
      port.close();
    });
    return;
  }
  queue = queue.then(() => answer(request));
});
`;
