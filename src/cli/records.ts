import { isDeepStrictEqual } from "node:util";
import { parseCount } from "./args.js";
import type { OptionSpec } from "./command.js";
import type { ParsedOptions } from "./command.js";
import { usageError } from "./errors.js";
import type { Output } from "./output.js";

/** Options shared by `ls` and `at … ls`. */
export const listOptions: Record<string, OptionSpec> = {
  where: {
    type: "string",
    multiple: true,
    value: "field=value",
    description:
      "only records whose field (dotted path) equals value; value is JSON if it parses, " +
      "else a string; repeat to require all",
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
  if (equals <= 0)
    throw usageError(`--where must look like field=value; got ${JSON.stringify(text)}`);
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

/**
 * Prints records sorted by id, filtered by --where, cut by --limit. Text: `id  value` per line
 * (or ids only); JSON: one `{"id","value"}` per line, the same shape `import` reads.
 */
export async function listRecords(
  out: Output,
  entries: Iterable<[string, unknown]>,
  options: ParsedOptions,
): Promise<number> {
  const conditions = options.strings("where").map(parseWhere);
  const limit = parseCount("limit", options.string("limit"));
  const idsOnly = options.flag("ids-only");
  const matching = [...entries].filter(([, value]) => matchesAll(value, conditions));
  matching.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const shown = limit === undefined ? matching : matching.slice(0, limit);
  for (const [id, value] of shown) {
    if (out.json) await out.jsonLine(idsOnly ? { id } : { id, value });
    else if (idsOnly) await out.line(id);
    else await out.line(`${out.paint("cyan", id)}  ${out.value(value, 0)}`);
  }
  return shown.length;
}
