import { parsePoint } from "../args.js";
import type { Command } from "../command.js";
import { CliError, exitCodes, usageError } from "../errors.js";
import { stateAt } from "../history.js";
import { withReadStore } from "../open-store.js";
import { listOptions, listRecords } from "../records.js";

export const atCommand: Command = {
  name: "at",
  summary: "time travel: a record or the records as they were at a seq or time",
  usage: [
    "at <dir> <seq|time> get <id> [--json]",
    "at <dir> <seq|time> [ls] [--where field=value]... [--limit n] [--ids-only] [--json]",
  ],
  details: [
    "Shows the state after every operation up to the point (a seq number or an ISO 8601 " +
      "timestamp), never part of a batch: a point inside a batch shows the state before it. " +
      "A point before the oldest retained history fails (exit 1) naming the oldest point.",
  ],
  options: listOptions,
  positionals: { min: 2, max: 4 },
  async run({ positionals, options, out }) {
    const [dir, pointText, action = "ls", id] = positionals as [string, string, string?, string?];
    const point = parsePoint("the point", pointText) as number | string;
    if (action === "get" && id === undefined) throw usageError("at … get needs an <id>");
    if (action === "ls" && id !== undefined) throw usageError(`at … ls takes no id; got ${id}`);
    if (action !== "get" && action !== "ls") {
      throw usageError(`at <dir> <point> takes get <id> or ls; got ${JSON.stringify(action)}`);
    }
    return withReadStore(dir, async (store) => {
      const view = await stateAt(store, point);
      const where = { seq: view.seq, ...(view.ts !== undefined ? { ts: view.ts } : {}) };
      if (action === "get") {
        const key = id as string;
        if (!view.has(key)) {
          const message = `no record with id ${JSON.stringify(key)} at seq ${view.seq}`;
          throw new CliError("OPSLOG_NOT_FOUND", message, exitCodes.notFound, where);
        }
        if (out.json) await out.jsonLine({ id: key, value: view.get(key), ...where });
        else await out.line(out.value(view.get(key)));
        return exitCodes.ok;
      }
      // On stderr, so that stdout is exactly what `ls` prints.
      if (!out.json)
        process.stderr.write(`state at seq ${view.seq}${view.ts ? ` (${view.ts})` : ""}\n`);
      await listRecords(out, view, options);
      return exitCodes.ok;
    });
  },
};
