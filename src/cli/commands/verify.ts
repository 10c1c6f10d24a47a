import type { Command } from "../command.js";
import { verify } from "../engine.js";
import { exitCodes } from "../errors.js";
import { requireFiles, requireStoreDirectory } from "../open-store.js";
import { formatBytes, formatCount, type Output } from "../output.js";
import { ProgressBar } from "../progress.js";

export type VerifyResult = Awaited<ReturnType<typeof verify>>;

/** Stores smaller than this verify in a blink: no progress bar unless asked for. */
const progressBytesMin = 8 * 1024 * 1024;

export const progressOption = {
  progress: {
    type: "boolean" as const,
    description: "show progress on stderr even when it is not a terminal (or the job is small)",
  },
};

/** Checks every checksum of every file, with a progress bar on stderr for large stores. */
export async function verifyWithProgress(
  dir: string,
  forceProgress: boolean,
): Promise<VerifyResult> {
  let bar: ProgressBar | undefined;
  const result = await verify(dir, {
    onProgress(done: number, total: number) {
      if (!bar && (forceProgress || (process.stderr.isTTY && total >= progressBytesMin))) {
        bar = new ProgressBar("verifying", total, process.stderr, true);
      }
      bar?.update(done);
    },
  });
  bar?.finish();
  return result;
}

export async function printProblems(out: Output, result: VerifyResult): Promise<void> {
  for (const problem of result.problems) {
    const where = `${problem.file} at byte ${problem.offset}`;
    await out.line(`${out.paint("red", "damaged")}  ${where}: ${problem.reason}`);
  }
}

export const verifyCommand: Command = {
  name: "verify",
  summary: "check every checksum of every file; exit 1 naming file and offset if damaged",
  usage: ["verify <dir> [--progress] [--json]"],
  details: [
    "Reads every file of the store (manifest, snapshots, log segments, archive) and checks " +
      "every checksum. Exit 0: no damage. Exit 1: each problem is printed with its file and " +
      "byte offset; `opslog repair` keeps the valid prefix and moves the rest to quarantine/.",
  ],
  options: progressOption,
  positionals: { min: 1, max: 1 },
  async run({ positionals, options, out }) {
    const dir = positionals[0] as string;
    requireFiles(dir, "verify");
    await requireStoreDirectory(dir);
    const result = await verifyWithProgress(dir, options.flag("progress"));
    const checked = `${formatCount(result.files, "file")}, ${formatBytes(result.bytes)}`;
    if (!out.json && result.tornTail) {
      const { file, offset, bytes } = result.tornTail;
      await out.line(
        out.paint(
          "dim",
          `note  ${file} ends in an unfinished write at byte ${offset} ` +
            `(${formatBytes(bytes)}): not damage; the next writer trims it`,
        ),
      );
    }
    if (out.json) {
      await out.jsonDocument(result);
    } else if (result.ok) {
      await out.line(`${out.paint("green", "ok")}  ${checked} checked, no damage`);
    } else {
      await printProblems(out, result);
      await out.line(
        `${formatCount(result.problems.length, "problem")} in ${checked}; ` +
          `run \`opslog repair ${dir}\` to keep the valid data and quarantine the rest`,
      );
    }
    return result.ok ? exitCodes.ok : exitCodes.failed;
  },
};
