import type { Command } from "../command.js";
import type { AnyStore, Operation } from "../engine.js";
import { exitCodes } from "../errors.js";
import { writeOperation } from "../format-op.js";
import { listOps, redo } from "../history.js";
import { withWriteStore } from "../open-store.js";

type Step = (store: AnyStore) => Promise<boolean>;

/** Runs undo or redo as the writer and prints the compensating operations it appended. */
function historyStep(name: "undo" | "redo", step: Step): Command {
  const key = name === "undo" ? "undone" : "redone";
  return {
    name,
    summary:
      name === "undo"
        ? "undo the last operation (a whole batch at once), as logged compensating operations"
        : "re-apply what the last undo reverted",
    usage: [`${name} <dir> [--json]`],
    details: [
      `Needs the writer lock (exit 4 while another process writes). Prints the operations ` +
        `${name} appended; when there is nothing to ${name} it says so and exits 0 ` +
        `(with --json: {"${key}": false, "operations": []}).`,
    ],
    options: {},
    positionals: { min: 1, max: 1 },
    async run({ positionals, out }) {
      const dir = positionals[0] as string;
      const appended = await withWriteStore(dir, {}, async (store) => {
        const before = store.stats().seq;
        if (!(await step(store))) return [];
        const ops: Operation[] = [];
        for await (const op of listOps(store, { since: before })) ops.push(op);
        return ops;
      });
      const done = appended.length > 0;
      if (out.json) {
        await out.jsonDocument({ [key]: done, operations: appended });
      } else if (!done) {
        await out.line(`nothing to ${name}`);
      } else {
        for (const op of appended) await writeOperation(out, op);
      }
      return exitCodes.ok;
    },
  };
}

export const undoCommand = historyStep("undo", (store) => store.undo());
export const redoCommand = historyStep("redo", redo);
