import { parseCount, parsePoint } from "../args.js";
import type { Command } from "../command.js";
import type { Operation } from "../engine.js";
import { exitCodes } from "../errors.js";
import { followOps } from "../follow.js";
import { writeOperation } from "../format-op.js";
import { listOps, type OpsQuery } from "../history.js";
import { withReadStore } from "../open-store.js";

/** Runs `follow` until SIGINT or SIGTERM, which end `log --follow` normally (exit 0). */
async function untilInterrupted(follow: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    await follow(controller.signal);
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

export const logCommand: Command = {
  name: "log",
  summary: "the audit trail: seq, time, op, id, meta and a field-level diff",
  usage: ["log <dir> [id] [--since point] [--until point] [--limit n] [--follow] [--json]"],
  details: [
    "A point is a seq number or an ISO 8601 timestamp (any precision, compared by time). " +
      "--since is exclusive, --until inclusive. Operations print oldest first; --limit n keeps " +
      "the newest n. --follow keeps printing operations another process writes until " +
      "interrupted (Ctrl-C, exit 0) or, with --until, until that point has passed.",
    "With --json, one operation object per line (seq, ts, op, id, data, prev, batch, meta, " +
      "undo, redo).",
  ],
  options: {
    since: {
      type: "string",
      value: "point",
      description: "only operations after this seq or time",
    },
    until: {
      type: "string",
      value: "point",
      description: "only operations up to this seq or time",
    },
    limit: { type: "string", value: "n", description: "only the newest n operations" },
    follow: { type: "boolean", short: "f", description: "keep printing new operations" },
  },
  positionals: { min: 1, max: 2 },
  async run({ positionals, options, out }) {
    const [dir, id] = positionals as [string, string | undefined];
    const query: OpsQuery = {
      since: parsePoint("--since", options.string("since")),
      until: parsePoint("--until", options.string("until")),
      id,
    };
    const limit = parseCount("limit", options.string("limit"));
    const follow = options.flag("follow");
    // One store: with --follow it stays open and current, and the listing and the feed meet
    // at `startSeq` with no gap and no repeat.
    await withReadStore(dir, async (store) => {
      const startSeq = store.stats().seq;
      const newest: Operation[] = [];
      for await (const op of listOps(store, query)) {
        if (op.seq > startSeq) break;
        newest.push(op);
        if (limit !== undefined && newest.length > limit) newest.shift();
      }
      for (const op of newest) await writeOperation(out, op);
      if (!follow) return;
      const print = (op: Operation) => writeOperation(out, op);
      const followQuery = {
        ...(id !== undefined ? { id } : {}),
        ...(query.until !== undefined ? { until: query.until } : {}),
      };
      await untilInterrupted((signal) => followOps(store, followQuery, startSeq, print, signal));
    }, { follow });
    return exitCodes.ok;
  },
};
