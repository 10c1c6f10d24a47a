import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { parsePoint } from "../args.js";
import type { Command } from "../command.js";
import type { AnyStore } from "../engine.js";
import { exitCodes } from "../errors.js";
import { listOps } from "../history.js";
import { withReadStore } from "../open-store.js";
import { formatBytes, formatCount, Output } from "../output.js";

interface ExportQuery {
  ops: boolean;
  since?: number | string;
  until?: number | string;
}

/** Writes records (sorted by id) or retained operations as JSON Lines; returns the count. */
async function writeLines(store: AnyStore, sink: Output, query: ExportQuery): Promise<number> {
  let count = 0;
  if (query.ops) {
    for await (const op of listOps(store, { since: query.since, until: query.until })) {
      await sink.jsonLine(op);
      count++;
    }
    return count;
  }
  const entries = [...store.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [id, value] of entries) await sink.jsonLine({ id, value });
  return entries.length;
}

/** Exports into a temporary file renamed over `file` when complete: never a half file. */
async function exportToFile(store: AnyStore, file: string, query: ExportQuery) {
  const temp = `${file}.${process.pid}.tmp`;
  const stream = createWriteStream(temp);
  try {
    const count = await writeLines(store, new Output(true, stream), query);
    stream.end();
    await once(stream, "finish");
    await rename(temp, file);
    return { count, bytes: stream.bytesWritten };
  } catch (error) {
    stream.destroy();
    await rm(temp, { force: true });
    throw error;
  }
}

export const exportCommand: Command = {
  name: "export",
  summary: "records (or --ops: operations) as JSON Lines to stdout or --out",
  usage: ["export <dir> [--ops [--since point] [--until point]] [--out file] [--json]"],
  details: [
    'Records are written one {"id","value"} object per line, sorted by id: the format ' +
      "`opslog import` reads. With --ops, every retained operation, oldest first. With --out " +
      "the file appears complete or not at all, and a summary is printed (as JSON with --json).",
  ],
  options: {
    ops: { type: "boolean", description: "export operations instead of records" },
    since: {
      type: "string",
      value: "point",
      description: "with --ops: operations after this seq or time",
    },
    until: {
      type: "string",
      value: "point",
      description: "with --ops: operations up to this seq or time",
    },
    out: {
      type: "string",
      short: "o",
      value: "file",
      description: "write to this file instead of stdout",
    },
  },
  positionals: { min: 1, max: 1 },
  async run({ positionals, options, out }) {
    const dir = positionals[0] as string;
    const query: ExportQuery = {
      ops: options.flag("ops"),
      since: parsePoint("--since", options.string("since")),
      until: parsePoint("--until", options.string("until")),
    };
    const file = options.string("out");
    if (file === undefined) {
      await withReadStore(dir, (store) => writeLines(store, out, query));
      return exitCodes.ok;
    }
    const { count, bytes } = await withReadStore(dir, (store) => exportToFile(store, file, query));
    const kind = query.ops ? "operations" : "records";
    if (out.json) await out.jsonDocument({ file, [kind]: count, bytes });
    else
      await out.line(
        `exported ${formatCount(count, kind.slice(0, -1))} to ${file} (${formatBytes(bytes)})`,
      );
    return exitCodes.ok;
  },
};
