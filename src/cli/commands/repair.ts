import type { Command } from "../command.js";
import { confirm } from "../confirm.js";
import type { RepairReport } from "../engine.js";
import { CliError, exitCodes } from "../errors.js";
import { requireFiles, requireStoreDirectory, withWriteStore } from "../open-store.js";
import { formatBytes, formatCount, type Output } from "../output.js";
import { printProblems, progressOption, verifyWithProgress, type VerifyResult } from "./verify.js";

async function printReport(out: Output, report: RepairReport, after: VerifyResult): Promise<void> {
  for (const item of report.quarantined) {
    const what = `${item.file} from byte ${item.offset} (${formatBytes(item.bytes)})`;
    await out.line(`${out.paint("yellow", "moved")}  ${what} to ${item.quarantineFile}`);
  }
  if (after.ok) {
    await out.line(
      `${out.paint("green", "ok")}  repaired: ${formatCount(report.quarantined.length, "file")} ` +
        "quarantined, the store verifies clean; nothing was deleted",
    );
  } else {
    await printProblems(out, after);
    await out.line("damage remains after repair: keep a copy of the directory and report it");
  }
}

export const repairCommand: Command = {
  name: "repair",
  summary: "keep the longest valid prefix, move damaged bytes to quarantine/ (asks first)",
  usage: ["repair <dir> [--yes] [--progress] [--json]"],
  details: [
    "Verifies the store first and does nothing when it is clean. Otherwise lists the damage, " +
      "asks for confirmation (answer y on stdin, or pass --yes), then opens the store as its " +
      "writer with repair on: each damaged file keeps its longest valid prefix and the bytes " +
      "after it are moved into quarantine/, never deleted. Exit 5 when not confirmed, 4 when " +
      "another process holds the store, 1 when damage remains afterwards.",
  ],
  options: {
    yes: { type: "boolean", short: "y", description: "do not ask for confirmation" },
    ...progressOption,
  },
  positionals: { min: 1, max: 1 },
  async run({ positionals, options, out }) {
    const dir = positionals[0] as string;
    requireFiles(dir, "repair");
    await requireStoreDirectory(dir);
    const before = await verifyWithProgress(dir, options.flag("progress"));
    if (before.ok) {
      if (out.json) await out.jsonDocument({ repaired: false, problems: [], quarantined: [] });
      else await out.line(`${out.paint("green", "ok")}  no damage found; nothing to repair`);
      return exitCodes.ok;
    }
    if (!out.json) await printProblems(out, before);
    const count = formatCount(before.problems.length, "damaged file");
    if (
      !options.flag("yes") &&
      !(await confirm(`Move the damaged bytes of ${count} to quarantine/?`))
    ) {
      throw new CliError(
        "OPSLOG_CANCELLED",
        "repair not confirmed; nothing was changed",
        exitCodes.cancelled,
      );
    }
    const report = await withWriteStore(
      dir,
      { repair: true },
      async (store) => store.stats().repair,
    );
    const after = await verifyWithProgress(dir, false);
    const quarantined = report?.quarantined ?? [];
    if (out.json) {
      await out.jsonDocument({
        repaired: true,
        problems: before.problems,
        quarantined,
        remaining: after.problems,
      });
    } else {
      await printReport(out, { quarantined }, after);
    }
    return after.ok ? exitCodes.ok : exitCodes.failed;
  },
};
