import type { Command } from "../command.js";
import { inspect } from "../engine.js";
import { exitCodes } from "../errors.js";
import { withWriteStore } from "../open-store.js";
import { formatBytes, formatCount } from "../output.js";

export const compactCommand: Command = {
  name: "compact",
  summary: "write a snapshot now; the active log starts empty",
  usage: ["compact <dir> [--json]"],
  details: ["Needs the writer lock: exit 4 while another process writes to the store."],
  options: {},
  positionals: { min: 1, max: 1 },
  async run({ positionals, out }) {
    const dir = positionals[0] as string;
    const result = await withWriteStore(dir, {}, async (store) => {
      const checkpointed = store.stats().opsCount;
      const bytesBefore = (await inspect(dir)).totalBytes;
      await store.compact();
      const stats = store.stats();
      const bytesAfter = (await inspect(dir)).totalBytes;
      return {
        records: stats.activeRecords,
        checkpointedOps: checkpointed,
        seq: stats.seq,
        bytesBefore,
        bytesAfter,
      };
    });
    if (out.json) {
      await out.jsonDocument(result);
    } else {
      await out.line(
        `compacted: snapshot of ${formatCount(result.records, "record")} at seq ${result.seq}, ` +
          `${formatCount(result.checkpointedOps, "operation")} checkpointed; ` +
          `${formatBytes(result.bytesBefore)} → ${formatBytes(result.bytesAfter)} on disk`,
      );
    }
    return exitCodes.ok;
  },
};
