/**
 * Write routes, only with --write (else 403 `read_only`): undo, redo, put and delete a
 * record. Each needs `{ "confirm": true }` in its JSON body: the page asks first, and a
 * stray request (a script, a replayed URL) writes nothing.
 */
import { badRequest, HttpError, storeCallAsync } from "./http-errors.js";
import { versionOf } from "./routes-records.js";
import type { ApiRequest, Route, UiContext } from "./router.js";

async function confirmed(ui: UiContext, request: ApiRequest): Promise<Record<string, unknown>> {
  if (!ui.write) throw new HttpError("read_only", "the page is read-only: start opslog ui with --write");
  const body = await request.body();
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw badRequest("body", 'must be a JSON object such as {"confirm": true}');
  }
  const fields = body as Record<string, unknown>;
  if (fields.confirm !== true) throw badRequest("confirm", "must be true: writes are confirmed");
  return fields;
}

async function undo(ui: UiContext, request: ApiRequest) {
  await confirmed(ui, request);
  return { done: await storeCallAsync("undo", () => ui.store.undo()) };
}

async function redo(ui: UiContext, request: ApiRequest) {
  await confirmed(ui, request);
  return { done: await storeCallAsync("redo", () => ui.store.redo()) };
}

async function put(ui: UiContext, request: ApiRequest) {
  const body = await confirmed(ui, request);
  const id = request.params.id as string;
  if (!Object.hasOwn(body, "value")) throw badRequest("value", "is missing: the record to write");
  await storeCallAsync("value", () => ui.store.set(id, body.value));
  return { id, version: versionOf(ui, id) };
}

async function remove(ui: UiContext, request: ApiRequest) {
  await confirmed(ui, request);
  const id = request.params.id as string;
  await storeCallAsync("id", () => ui.store.delete(id));
  return { id };
}

export const writeRoutes: Route[] = [
  { method: "POST", path: "/api/undo", handle: undo },
  { method: "POST", path: "/api/redo", handle: redo },
  { method: "PUT", path: "/api/records/:id", handle: put },
  { method: "DELETE", path: "/api/records/:id", handle: remove },
];
