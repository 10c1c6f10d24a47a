import { isDeepStrictEqual } from "node:util";
import { parseCount } from "./args.js";
import type { OptionSpec } from "./command.js";
import type { ParsedOptions } from "./command.js";
import type { Filter, FindQuery } from "./engine.js";
import { usageError } from "./errors.js";
import type { Output } from "./output.js";
import { allOf, isJsonFilter, parseFilter, usageChecked } from "./query.js";

/** Options shared by `ls` and `at … ls`. */
export const listOptions: Record<string, OptionSpec> = {
  where: {
    type: "string",
    multiple: true,
    value: "field=value|filter",
    description:
      "only records whose field (dotted path) equals value (value is JSON if it parses, " +
      "else a string), or that a JSON filter such as '{\"n\":{\"$gt\":3}}' matches (as find); " +
      "repeat to require all",
  },
  limit: { type: "string", value: "n", description: "print at most n records" },
  "ids-only": { type: "boolean", description: "print ids only" },
};

export interface Condition {
  path: string[];
  value: unknown;
}

export function parseWhere(text: string): Condition {
  const equals = text.indexOf("=");
  if (equals <= 0) {
    throw usageError(
      `--where must look like field=value or be a JSON filter ({…}); got ${JSON.stringify(text)}`,
    );
  }
  const field = text.slice(0, equals);
  const raw = text.slice(equals + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    value = raw;
  }
  return { path: field.split("."), value };
}

function fieldAt(record: unknown, path: string[]): unknown {
  let current = record;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    if (!Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

export function matchesAll(record: unknown, conditions: Condition[]): boolean {
  return conditions.every((condition) =>
    isDeepStrictEqual(fieldAt(record, condition.path), condition.value),
  );
}

/** What `ls` lists: a store or a view of one, read in id order a page at a time. */
export interface Listable {
  iterate(query: Omit<FindQuery, "limit">): Iterator<[string, unknown]>;
}

/** `--where` values: `field=value` conditions and JSON filters, each list possibly empty. */
export function parseWhereOptions(texts: readonly string[]): {
  conditions: Condition[];
  filter: Filter | undefined;
} {
  const filters = texts.filter(isJsonFilter).map((text) => parseFilter(text, "--where"));
  const conditions = texts.filter((text) => !isJsonFilter(text)).map(parseWhere);
  return { conditions, filter: allOf(filters) };
}

/**
 * Prints records sorted by id, filtered by --where, cut by --limit. Text: `id  value` per line
 * (or ids only); JSON: one `{"id","value"}` per line, the same shape `import` reads. Records
 * stream from iterate(): nothing but the page being read is held.
 */
export async function listRecords(
  out: Output,
  source: Listable,
  options: ParsedOptions,
): Promise<number> {
  const { conditions, filter } = parseWhereOptions(options.strings("where"));
  const limit = parseCount("limit", options.string("limit"));
  const idsOnly = options.flag("ids-only");
  const query = filter === undefined ? {} : { where: filter };
  const records = usageChecked(() => source.iterate(query), "--where");
  let shown = 0;
  for (const [id, value] of records) {
    if (limit !== undefined && shown >= limit) break;
    if (!matchesAll(value, conditions)) continue;
    shown++;
    if (out.json) await out.jsonLine(idsOnly ? { id } : { id, value });
    else if (idsOnly) await out.line(id);
    else await out.line(`${out.paint("cyan", id)}  ${out.value(value, 0)}`);
  }
  return shown;
}
