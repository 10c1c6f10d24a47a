import type { Command } from "../command.js";
import { CliError, exitCodes } from "../errors.js";
import { withReadStore } from "../open-store.js";

export const getCommand: Command = {
  name: "get",
  summary: "print one record as JSON",
  usage: ["get <dir> <id> [--json]"],
  details: ["Exits with 3 when the record does not exist."],
  options: {},
  positionals: { min: 2, max: 2 },
  async run({ positionals, out }) {
    const [dir, id] = positionals as [string, string];
    return withReadStore(dir, async (store) => {
      if (!store.has(id)) {
        throw new CliError(
          "OPSLOG_NOT_FOUND",
          `no record with id ${JSON.stringify(id)}`,
          exitCodes.notFound,
        );
      }
      const value = store.get(id);
      if (out.json) await out.jsonLine({ id, value });
      else await out.line(out.value(value));
      return exitCodes.ok;
    });
  },
};
