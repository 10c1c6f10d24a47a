import type { Command } from "../command.js";
import { exitCodes } from "../errors.js";
import { withReadStore } from "../open-store.js";
import { listOptions, listRecords } from "../records.js";

export const lsCommand: Command = {
  name: "ls",
  summary: "list records (ids and values), filtered by --where",
  usage: [
    "ls <dir> [--where field=value]... [--where '<json filter>']... [--limit n] [--ids-only] " +
      "[--json]",
  ],
  details: [
    'Records are sorted by id. With --json, one {"id","value"} object per line: the format ' +
      "`opslog import` reads.",
    "Example: opslog ls ./data --where status=open --where owner.name='\"ann\"' --limit 10",
    "A --where that starts with { is a JSON filter with find's operators (docs/QUERIES.md): " +
      "opslog ls ./data --where '{\"due\":{\"$lt\":20},\"tags\":\"x\"}'. " +
      "Repeated --where are all required.",
  ],
  options: listOptions,
  positionals: { min: 1, max: 1 },
  async run({ positionals, options, out }) {
    const dir = positionals[0] as string;
    return withReadStore(dir, async (store) => {
      await listRecords(out, store, options);
      return exitCodes.ok;
    });
  },
};
