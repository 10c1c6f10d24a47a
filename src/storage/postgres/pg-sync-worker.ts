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

async function answer(request) {
  let reply;
  try {
    const db = await connected();
    const result = await db.query({
      text: request.text, values: request.values, types: rawTypes, rowMode: "array",
    });
    reply = { id: request.id, rows: result.rows };
  } catch (error) {
    if (typeof error?.code !== "string" || /^(08|57P)/.test(error.code) || !/^[0-9A-Z]{5}$/.test(error.code)) {
      const broken = client;
      client = undefined;
      if (broken) broken.end().catch(() => undefined);
    }
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
