/**
 * What a route of the API sees (the open store and how the server was started) and how a
 * request path finds its route. Paths are matched on their raw segments before decoding, so
 * that an id holding "/" (sent as %2F) stays one segment.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AnyStore } from "../../cli/engine.js";
import { badRequest, HttpError } from "./http-errors.js";
import type { IdLists } from "./id-lists.js";

export interface UiContext {
  store: AnyStore;
  /** The directory or PostgreSQL URL opened (with its password: for inspect/verify only). */
  location: string;
  /** `location` as shown to people (password removed). */
  shown: string;
  backend: "directory" | "postgres";
  /** True unless --write: the store was opened read-only (a follower). */
  readOnly: boolean;
  write: boolean;
  indexes: string[];
  version: string;
  idLists: IdLists;
  /** Aborted when the server closes: live streams end. */
  closing: AbortSignal;
}

export interface ApiRequest {
  /** The decoded `:name` segments of the route's path. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The JSON body (write routes): parsed on first call, 400/413 when it cannot be. */
  body(): Promise<unknown>;
  req: IncomingMessage;
  res: ServerResponse;
}

export type Method = "GET" | "POST" | "PUT" | "DELETE";

/** A route answers JSON, or `streamed` when it wrote the response itself (SSE). */
export const streamed: unique symbol = Symbol("streamed");

export interface Route {
  method: Method;
  /** "/api/records/:id/history": `:name` matches one non-empty segment. */
  path: string;
  handle(ui: UiContext, request: ApiRequest): unknown;
}

export type Match =
  | { kind: "route"; route: Route; params: Record<string, string> }
  | { kind: "method"; allowed: Method[] }
  | { kind: "none" };

function decodeSegment(segment: string, name: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(name, "is not valid percent-encoding (encode it with encodeURIComponent)");
  }
}

function paramsOf(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i] as string;
    const segment = segments[i] as string;
    if (part.startsWith(":")) {
      if (segment === "") return undefined;
      params[part.slice(1)] = segment;
    } else if (part !== segment) {
      return undefined;
    }
  }
  return params;
}

/** The route for `method` on the raw (undecoded) `path`; a 400 for bad percent-encoding. */
export function matchRoute(routes: readonly Route[], method: string, path: string): Match {
  const segments = path.split("/");
  const allowed: Method[] = [];
  for (const route of routes) {
    const params = paramsOf(route.path.split("/"), segments);
    if (params === undefined) continue;
    if (route.method !== method) {
      allowed.push(route.method);
      continue;
    }
    for (const name of Object.keys(params)) params[name] = decodeSegment(params[name] as string, name);
    return { kind: "route", route, params };
  }
  return allowed.length > 0 ? { kind: "method", allowed } : { kind: "none" };
}

export function notFound(what: string): HttpError {
  return new HttpError("not_found", what);
}
