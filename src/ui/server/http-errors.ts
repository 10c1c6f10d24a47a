/**
 * Failures of `opslog ui`'s HTTP API as the contract names them (docs/UI-API.md, "Errors"):
 * every one is `{ "error": { "code", "message", "opslogCode"? } }` with its status.
 */
import { OpslogError } from "../../cli/engine.js";

export type HttpErrorCode =
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "read_only"
  | "not_found"
  | "method_not_allowed"
  | "conflict"
  | "too_large"
  | "internal";

const statusOf: Record<HttpErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  read_only: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  too_large: 413,
  internal: 500,
};

export class HttpError extends Error {
  readonly status: number;

  constructor(
    readonly code: HttpErrorCode,
    message: string,
    /** The store's code (OPSLOG_…) when the store refused. */
    readonly opslogCode?: string,
  ) {
    super(message);
    this.name = "HttpError";
    this.status = statusOf[code];
  }

  body(): { error: { code: string; message: string; opslogCode?: string } } {
    const error = { code: this.code, message: this.message };
    return { error: this.opslogCode === undefined ? error : { ...error, opslogCode: this.opslogCode } };
  }
}

export function badRequest(param: string, why: string): HttpError {
  return new HttpError("bad_request", `${param}: ${why}`);
}

/** The store's bad-input codes: the request was wrong, not the server. */
const badInputCodes = new Set([
  "OPSLOG_INVALID_ID",
  "OPSLOG_INVALID_VALUE",
  "OPSLOG_INVALID_ARGUMENT",
]);

/** Write refusals the store gives for a request that was valid but could not apply. */
const conflictCodes = new Set(["OPSLOG_CONFLICT", "OPSLOG_UNIQUE", "OPSLOG_LOCKED"]);

/**
 * Any thrown value as the HttpError the client sees. `what` names the parameter or step for
 * the store's bad-input errors. Unknown failures are 500 `internal`: the server goes on.
 */
export function asHttpError(error: unknown, what = "request"): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof OpslogError) {
    const message = `${what}: ${error.message}`;
    if (badInputCodes.has(error.code)) return new HttpError("bad_request", message, error.code);
    if (conflictCodes.has(error.code)) return new HttpError("conflict", message, error.code);
    if (error.code === "OPSLOG_NOT_FOUND") return new HttpError("not_found", message, error.code);
    if (error.code === "OPSLOG_READ_ONLY") return new HttpError("read_only", message, error.code);
    return new HttpError("internal", message, error.code);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new HttpError("internal", `${what}: ${message}`);
}

/** Runs `use`, turning the store's complaints about `what` into HttpErrors. */
export function storeCall<R>(what: string, use: () => R): R {
  try {
    return use();
  } catch (error) {
    throw asHttpError(error, what);
  }
}

/** storeCall for a store call that returns a promise: a rejection is mapped as a throw is. */
export async function storeCallAsync<R>(what: string, use: () => Promise<R>): Promise<R> {
  try {
    return await use();
  } catch (error) {
    throw asHttpError(error, what);
  }
}
