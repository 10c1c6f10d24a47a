/**
 * The HTTP server of `opslog ui`: node:http on 127.0.0.1 only, a random token every /api
 * request must carry, a Host check against DNS rebinding, and routing to routes-*.ts
 * (docs/UI.md, "Security"; docs/UI-API.md). A request that fails gets a JSON error; nothing a
 * request does can stop the server.
 */
import { setMaxListeners } from "node:events";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { assert } from "../../util/assert.js";
import { serveAsset } from "./assets.js";
import { asHttpError, HttpError } from "./http-errors.js";
import { matchRoute, streamed, type ApiRequest, type Route, type UiContext } from "./router.js";

export const host = "127.0.0.1";
/** The largest request body (a record written from the page): past it, 413. */
export const bodyBytesMax = 16 * 1024 * 1024;
/** Longest request target accepted: a query of a few filters, never a data set. */
export const urlLengthMax = 256 * 1024;

const securityHeaders = {
  "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

export interface UiServer {
  url: string;
  port: number;
  token: string;
  /** Ends live streams, closes every connection; resolves once the server is closed. */
  close(): Promise<void>;
}

export interface UiServerOptions {
  port: number;
  routes: readonly Route[];
  /** Built once the server knows its port and its closing signal. */
  context: (closing: AbortSignal) => UiContext;
}

export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

function sameToken(given: string | undefined, token: Buffer): boolean {
  if (given === undefined) return false;
  const bytes = Buffer.from(given, "utf8");
  // timingSafeEqual needs equal lengths; the length of a random token is no secret.
  if (bytes.length !== token.length) return false;
  return timingSafeEqual(bytes, token);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}

function sendError(res: ServerResponse, error: HttpError, allow?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (allow !== undefined) res.setHeader("Allow", allow);
  // A body refused unread leaves its rest on the socket: the connection cannot be reused.
  if (error.status === 413) res.setHeader("Connection", "close");
  sendJson(res, error.status, error.body());
}

/** Reads the body once, up to bodyBytesMax; JSON or 400, too long 413. */
function bodyReader(req: IncomingMessage): () => Promise<unknown> {
  let parsed: Promise<unknown> | undefined;
  const read = async (): Promise<unknown> => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > bodyBytesMax) throw new HttpError("too_large", `the body is over ${bodyBytesMax} bytes`);
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString("utf8");
    if (text.trim() === "") return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new HttpError("bad_request", `body: not valid JSON (${(error as Error).message})`);
    }
  };
  return () => (parsed ??= read());
}

interface Target {
  path: string;
  query: URLSearchParams;
}

function targetOf(req: IncomingMessage): Target {
  const url = req.url ?? "";
  if (url.length > urlLengthMax) throw new HttpError("bad_request", "url: too long");
  if (!url.startsWith("/") || url.startsWith("//")) {
    throw new HttpError("bad_request", "url: the request target must be a path");
  }
  const mark = url.indexOf("?");
  const path = mark < 0 ? url : url.slice(0, mark);
  return { path, query: new URLSearchParams(mark < 0 ? "" : url.slice(mark + 1)) };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  options: UiServerOptions,
  state: { ui: UiContext; token: Buffer; hosts: Set<string> },
): Promise<void> {
  for (const [name, value] of Object.entries(securityHeaders)) res.setHeader(name, value);
  if (!state.hosts.has(req.headers.host ?? "")) {
    throw new HttpError("forbidden", "Host must be 127.0.0.1:<port> or localhost:<port>");
  }
  const { path, query } = targetOf(req);
  const method = req.method ?? "GET";
  if (!path.startsWith("/api/") && path !== "/api") {
    if (method !== "GET" && method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      throw new HttpError("method_not_allowed", `${method} is not allowed on static files`);
    }
    return serveAsset(res, path, method === "HEAD");
  }
  res.setHeader("Cache-Control", "no-store");
  const header = req.headers["x-opslog-token"];
  const given = typeof header === "string" ? header : (query.getAll("token")[0] ?? undefined);
  if (!sameToken(given, state.token)) {
    throw new HttpError("unauthorized", "a valid token is needed (X-Opslog-Token header or token=)");
  }
  const match = matchRoute(options.routes, method, path);
  if (match.kind === "none") throw new HttpError("not_found", `no route ${method} ${path}`);
  if (match.kind === "method") {
    res.setHeader("Allow", match.allowed.join(", "));
    throw new HttpError("method_not_allowed", `${method} is not allowed on ${path}`);
  }
  const request: ApiRequest = { params: match.params, query, body: bodyReader(req), req, res };
  const result = await match.route.handle(state.ui, request);
  if (result === streamed) return;
  assert(result !== undefined, "a route answers a JSON value");
  sendJson(res, 200, result);
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const closing = new AbortController();
  // Every live stream listens to it (sse.ts): any number of pages, not a leak.
  setMaxListeners(0, closing.signal);
  const tokenText = newToken();
  const server = createServer();
  const port = await listen(server, options.port);
  const state = {
    ui: options.context(closing.signal),
    token: Buffer.from(tokenText, "utf8"),
    // On port 80 browsers send the Host without its port.
    hosts: new Set([`${host}:${port}`, `localhost:${port}`, ...(port === 80 ? [host, "localhost"] : [])]),
  };
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res, options, state).catch((error: unknown) => sendError(res, asHttpError(error)));
  });
  server.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= new Promise<void>((resolve) => {
      closing.abort();
      server.close(() => resolve());
      server.closeAllConnections();
    }));
  return { url: `http://${host}:${port}/?token=${tokenText}`, port, token: tokenText, close };
}
