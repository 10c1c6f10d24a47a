/**
 * Query parameters of the API, checked: anything malformed is a 400 `bad_request` naming the
 * parameter, before the store sees it (docs/UI-API.md).
 */
import type { Filter } from "../../cli/engine.js";
import { parseIsoMicros } from "../../cli/engine.js";
import { badRequest } from "./http-errors.js";

/** Most items one page of /api/records (and /api/at, /api/ops) holds. */
export const pageLimitMax = 1000;
export const pageLimitDefault = 100;
/** Offsets past this are not rows anyone scrolls to: a typo or an attack. */
export const offsetMax = 1_000_000_000;
/** Longest `where`, `filter` or `id` text: typed by a person or a page, never a data set. */
export const queryTextLengthMax = 64 * 1024;
/** Longest id accepted in a path: the store's own limit is checked after. */
export const idLengthMax = 64 * 1024;

/** Reads one parameter; given twice it is ambiguous, so a 400. */
export function single(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  if (values.length > 1) throw badRequest(name, "is given more than once");
  const value = values[0];
  if (value !== undefined && value.length > queryTextLengthMax) {
    throw badRequest(name, `is longer than ${queryTextLengthMax} characters`);
  }
  return value;
}

/** A whole number in [min, max]; `fallback` when absent. */
export function integer(
  query: URLSearchParams,
  name: string,
  range: { min: number; max: number; fallback?: number },
): number | undefined {
  const text = single(query, name);
  if (text === undefined) return range.fallback;
  if (!/^-?[0-9]{1,16}$/.test(text)) throw badRequest(name, `must be a whole number; got ${shown(text)}`);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw badRequest(name, `is too large: ${shown(text)}`);
  if (value < range.min) throw badRequest(name, `must be at least ${range.min}; got ${value}`);
  if (value > range.max) throw badRequest(name, `must be at most ${range.max}; got ${value}`);
  return value;
}

export function pageOf(query: URLSearchParams): { offset: number; limit: number } {
  const offset = integer(query, "offset", { min: 0, max: offsetMax, fallback: 0 }) as number;
  const limit = integer(query, "limit", {
    min: 1,
    max: pageLimitMax,
    fallback: pageLimitDefault,
  }) as number;
  return { offset, limit };
}

/** An ISO 8601 time, as the store compares it (any precision, UTC or with an offset). */
export function isoTime(query: URLSearchParams, name: string): string | undefined {
  const text = single(query, name);
  if (text === undefined) return undefined;
  const micros = parseIsoMicros(text);
  if (micros === undefined || !Number.isFinite(micros)) {
    throw badRequest(name, `must be an ISO 8601 time such as 2026-01-02T03:04:05Z; got ${shown(text)}`);
  }
  return text;
}

/**
 * The records a request asks for: `where` (a find() filter as JSON) and `filter`
 * (`field=value`, the value parsed as JSON when it parses, else a string) together.
 */
export function filterOf(query: URLSearchParams): Filter | undefined {
  const filters: Filter[] = [];
  const where = single(query, "where");
  if (where !== undefined) filters.push(jsonFilter(where));
  const shorthand = single(query, "filter");
  if (shorthand !== undefined) filters.push(fieldFilter(shorthand));
  if (filters.length === 0) return undefined;
  return filters.length === 1 ? filters[0] : { $and: filters };
}

function jsonFilter(text: string): Filter {
  let filter: unknown;
  try {
    filter = JSON.parse(text) as unknown;
  } catch (error) {
    throw badRequest("where", `is not valid JSON (${(error as Error).message})`);
  }
  if (typeof filter !== "object" || filter === null || Array.isArray(filter)) {
    throw badRequest("where", 'must be a JSON object such as {"status":"open"}');
  }
  return filter as Filter;
}

function fieldFilter(text: string): Filter {
  const equals = text.indexOf("=");
  if (equals <= 0) throw badRequest("filter", `must be field=value; got ${shown(text)}`);
  const field = text.slice(0, equals).trim();
  if (field === "") throw badRequest("filter", `must be field=value; got ${shown(text)}`);
  if (field.startsWith("$")) throw badRequest("filter", "a field cannot start with $ (use where)");
  const valueText = text.slice(equals + 1);
  let value: unknown = valueText;
  try {
    value = JSON.parse(valueText) as unknown;
  } catch {
    value = valueText;
  }
  // An object value would be read as operators: compare it whole, as a plain value.
  const operand = typeof value === "object" && value !== null ? { $eq: value } : value;
  const filter: Record<string, unknown> = {};
  // defineProperty: `filter["__proto__"] = …` would set the prototype, not a field.
  Object.defineProperty(filter, field, { value: operand, enumerable: true, writable: true, configurable: true });
  return filter as Filter;
}

/** The `id` substring of a search. */
export function idSearch(query: URLSearchParams): string | undefined {
  const id = single(query, "id");
  return id === "" ? undefined : id;
}

export function shown(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
