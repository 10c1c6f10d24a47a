import { parseCount } from "../args.js";
import type { Command, ParsedOptions } from "../command.js";
import {
  pageLimitMax,
  type AnyStore,
  type FindQuery,
  type IndexDeclarations,
  type QueryPlan,
} from "../engine.js";
import { exitCodes, usageError } from "../errors.js";
import { withReadStore } from "../open-store.js";
import { formatCount, table, type Output } from "../output.js";
import { asUsage, parseFilter, parseIndexes, parseSort, usageChecked } from "../query.js";

const what = "find";

export const findRecordsCommand: Command = {
  name: "find",
  summary: "records a MongoDB-style JSON filter matches, sorted and paged",
  usage: [
    "find <dir> ['<json filter>'] [--sort f,-g] [--limit n] [--after cursor] [--ids-only] " +
      "[--json]",
    "find <dir> ['<json filter>'] --explain [--sort f,-g] [--limit n] [--index path]... [--json]",
    "find <dir> ['<json filter>'] --count [--explain] [--json]",
  ],
  details: [
    'The filter has MongoDB\'s operators ($eq $ne $gt $gte $lt $lte $in $nin $exists $not ' +
      "$and $or $nor $elemMatch $size $all $regex) and dotted paths (docs/QUERIES.md); " +
      "without one every record matches. Records are printed as ls prints them, in --sort " +
      "order and then by id. With --limit, the cursor of the next page is printed on stderr " +
      "(next page: --after …). --json prints one document: " +
      '{"items": [{"id", "value"}], "next"?}, or the plan with --explain.',
    "Example: opslog find ./data '{\"status\":\"open\",\"due\":{\"$lt\":20}}' " +
      "--sort -priority,due --limit 50",
  ],
  options: {
    sort: {
      type: "string",
      value: "f,-g",
      dashValue: true,
      description: "sort by these paths, - for descending; ties are broken by the id",
    },
    limit: { type: "string", value: "n", description: "print at most n records (a page)" },
    after: { type: "string", value: "cursor", description: "the page after this next cursor" },
    "ids-only": { type: "boolean", description: "print ids only" },
    count: { type: "boolean", description: "print the number of matching records" },
    explain: {
      type: "boolean",
      description: "print how the query is served (index, records examined), not the records",
    },
    index: {
      type: "string",
      multiple: true,
      value: "path",
      description: "declare an index on this path for this run (the store keeps none)",
    },
  },
  positionals: { min: 1, max: 2 },
  async run({ positionals, options, out }) {
    const [dir, filterText] = positionals as [string, string?];
    const query = findQuery(filterText, options);
    const indexes = parseIndexes(options.strings("index"));
    const counting = options.flag("count");
    if (counting) refuseWithCount(options);
    return openWith(dir, indexes, async (store) => {
      if (options.flag("explain")) {
        const mode = counting ? "count" : "find";
        await printPlan(out, asUsage(() => store.explain(query, mode), what));
      } else if (counting) {
        const count = asUsage(() => store.count(query.where ?? {}), what);
        if (out.json) await out.jsonDocument({ count });
        else await out.line(String(count));
      } else {
        await printFound(out, store, query, options.flag("ids-only"));
      }
      return exitCodes.ok;
    });
  },
};

/** A bad --index path is found as the store opens: reported as the usage error it is. */
async function openWith(
  dir: string,
  indexes: IndexDeclarations | undefined,
  use: (store: AnyStore) => Promise<number>,
): Promise<number> {
  if (indexes === undefined) return withReadStore(dir, use);
  let opened = false;
  try {
    return await withReadStore(dir, (store) => {
      opened = true;
      return use(store);
    }, { indexes });
  } catch (error) {
    if (opened) throw error;
    return asUsage(() => {
      throw error;
    }, "--index");
  }
}

function findQuery(filterText: string | undefined, options: ParsedOptions): FindQuery {
  const query: FindQuery = {};
  if (filterText !== undefined) query.where = parseFilter(filterText);
  const sort = parseSort(options.string("sort"));
  if (sort !== undefined) query.sort = sort;
  const limit = parseCount("limit", options.string("limit"), pageLimitMax);
  if (limit !== undefined) query.limit = limit;
  const after = options.string("after");
  if (after !== undefined) query.after = after;
  return query;
}

function refuseWithCount(options: ParsedOptions): void {
  for (const name of ["sort", "limit", "after"]) {
    if (options.string(name) !== undefined) throw usageError(`find --count takes no --${name}`);
  }
  if (options.flag("ids-only")) throw usageError("find --count takes no --ids-only");
}

/**
 * One page with --limit (find(), which knows the next cursor); every match otherwise, streamed
 * from iterate() so that a large result is never held whole.
 */
async function printFound(out: Output, store: AnyStore, query: FindQuery, idsOnly: boolean) {
  let records: Iterator<[string, unknown]>;
  let next: string | undefined;
  if (query.limit !== undefined) {
    const page = asUsage(() => store.find(query), what);
    records = page.ids.map((id, i): [string, unknown] => [id, page.items[i]]).values();
    next = page.next;
  } else {
    records = usageChecked(() => store.iterate(query), what);
  }
  // The first step checks the query: an error must come before any output.
  const first = records.next();
  if (out.json) return printJson(out, first, records, next, idsOnly);
  for (let step = first; step.done !== true; step = records.next()) {
    const [id, value] = step.value;
    if (idsOnly) await out.line(id);
    else await out.line(`${out.paint("cyan", id)}  ${out.value(value, 0)}`);
  }
  // On stderr, as `at` prints its note: stdout stays exactly the records, like ls.
  if (next !== undefined) process.stderr.write(`next page: --after ${next}\n`);
}

/**
 * `{"items": [...], "next"?}` written item by item, byte for byte what jsonDocument() would
 * print for the whole object (tests/cli/find.test.ts checks it).
 */
async function printJson(
  out: Output,
  first: IteratorResult<[string, unknown]>,
  records: Iterator<[string, unknown]>,
  next: string | undefined,
  idsOnly: boolean,
): Promise<void> {
  await out.write('{\n  "items": [');
  let count = 0;
  for (let step = first; step.done !== true; step = records.next()) {
    const [id, value] = step.value;
    const item = JSON.stringify(idsOnly ? { id } : { id, value }, null, 2);
    await out.write(`${count === 0 ? "\n" : ",\n"}    ${item.replace(/\n/g, "\n    ")}`);
    count++;
  }
  await out.write(count === 0 ? "]" : "\n  ]");
  if (next !== undefined) await out.write(`,\n  "next": ${JSON.stringify(next)}`);
  await out.write("\n}\n");
}

async function printPlan(out: Output, plan: QueryPlan): Promise<void> {
  if (out.json) return out.jsonDocument(plan);
  const rows: [string, string][] = [
    ["index", plan.index ?? "none: a scan of every record"],
    ["ranges", plan.ranges.length === 0 ? "-" : plan.ranges.join(", ")],
    ["order", plan.order === "index" ? "index (read in order)" : "memory (sorted after matching)"],
    ["examined", formatCount(plan.examined, "entry", "entries")],
    ["matched", formatCount(plan.matched, "record")],
    ["returned", formatCount(plan.returned, "record")],
    ["records", `${formatCount(plan.records, "record")} in the store`],
  ];
  if (plan.countedFromIndex) rows.push(["counted", "from the index alone, no record read"]);
  await out.line(table(rows));
}
