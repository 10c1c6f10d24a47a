/**
 * The page's side of docs/UI-API.md: the token from the page's own URL (?token=), sent as the
 * X-Opslog-Token header; JSON answers; failures as ApiError with the server's stable code, so
 * that every view can show what went wrong instead of a blank page.
 */

export const token = new URLSearchParams(location.search).get("token") ?? "";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface ErrorBody {
  error?: { code?: string; message?: string; opslogCode?: string };
}

export interface Request {
  method?: string;
  body?: unknown;
}

export async function api<T>(path: string, init: Request = {}): Promise<T> {
  const headers: Record<string, string> = { "X-Opslog-Token": token };
  if (init.body !== undefined) headers["Content-Type"] = "application/json";
  let answer: Response;
  try {
    answer = await fetch(path, {
      method: init.method ?? "GET",
      headers,
      body: init.body === undefined ? null : JSON.stringify(init.body),
    });
  } catch (error) {
    throw new ApiError(0, "network", `the server did not answer (${(error as Error).message})`);
  }
  const text = await answer.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ApiError(answer.status, "bad_answer", `not JSON (HTTP ${answer.status})`);
  }
  if (!answer.ok) {
    const error = (json as ErrorBody).error ?? {};
    const code = error.opslogCode ? `${error.code} ${error.opslogCode}` : (error.code ?? "error");
    throw new ApiError(answer.status, code, error.message ?? `HTTP ${answer.status}`);
  }
  return json as T;
}

export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text === "" ? "" : `?${text}`;
}

export const recordPath = (id: string) => `/api/records/${encodeURIComponent(id)}`;

export interface Op {
  seq: number;
  ts: string;
  op: "set" | "delete";
  id: string;
  data?: unknown;
  prev: unknown;
  batch?: number;
  meta?: Record<string, unknown>;
  undo?: number;
  redo?: number;
  archive?: string;
}

export interface Diff {
  path: string;
  kind: "added" | "removed" | "changed";
  before?: unknown;
  after?: unknown;
}

export interface Info {
  target: string;
  backend: string;
  readOnly: boolean;
  write: boolean;
  records: number;
  seq: number;
  indexes: string[];
  version: string;
}

export interface Page {
  total: number;
  offset: number;
  items: { id: string; value: unknown }[];
}

type OpListener = (op: Op) => void;
const listeners = new Set<OpListener>();
let source: EventSource | undefined;

/** "live" while the event stream is open; EventSource reconnects by itself after a failure. */
export type LiveState = "connecting" | "live" | "reconnecting";
const stateListeners = new Set<(state: LiveState) => void>();
let liveState: LiveState = "connecting";

function setLive(state: LiveState): void {
  liveState = state;
  for (const each of stateListeners) each(state);
}

export function onLiveState(listener: (state: LiveState) => void): () => void {
  stateListeners.add(listener);
  listener(liveState);
  return () => stateListeners.delete(listener);
}

/** One EventSource for the page; every view that follows the store subscribes here. */
export function onOp(listener: OpListener): () => void {
  listeners.add(listener);
  if (source === undefined) {
    source = new EventSource(`/api/events?token=${encodeURIComponent(token)}`);
    source.addEventListener("open", () => setLive("live"));
    source.addEventListener("error", () => setLive("reconnecting"));
    source.addEventListener("op", (event) => {
      const op = JSON.parse((event as MessageEvent<string>).data) as Op;
      for (const each of listeners) each(op);
    });
  }
  return () => listeners.delete(listener);
}

/** Milliseconds since the epoch of an op's ISO time (microseconds cut to milliseconds). */
export function opMs(ts: string): number {
  return Date.parse(ts.length > 24 ? `${ts.slice(0, 23)}Z` : ts);
}
