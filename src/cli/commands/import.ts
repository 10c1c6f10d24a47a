import { stat } from "node:fs/promises";
import { parseCount } from "../args.js";
import type { Command } from "../command.js";
import { OpslogError, type AnyStore } from "../engine.js";
import { CliError, exitCodes } from "../errors.js";
import { BadLineError, readImportFile, type ImportRecord } from "../jsonl-reader.js";
import { withWriteStore } from "../open-store.js";
import { formatCount } from "../output.js";
import { ProgressBar } from "../progress.js";
import { progressOption } from "./verify.js";

export const defaultBatchRecords = 1000;
export const batchRecordsMax = 100_000;

interface ImportTotals {
  records: number;
  batches: number;
  /** Last line of the last committed batch. */
  lastLine: number;
}

function progressBar(label: string, bytes: number, force: boolean): ProgressBar {
  return new ProgressBar(label, bytes, process.stderr, force || process.stderr.isTTY === true);
}

/** Pass 1: every line is checked before anything is written; returns the record count. */
async function checkFile(file: string, bytes: number, force: boolean): Promise<number> {
  const bar = progressBar("checking ", bytes, force);
  const progress = { bytes: 0 };
  let records = 0;
  for await (const _record of readImportFile(file, progress)) {
    records++;
    bar.update(progress.bytes);
  }
  bar.finish();
  return records;
}

function importedSoFar(totals: ImportTotals): string {
  if (totals.records === 0) return "nothing was imported";
  const batches = formatCount(totals.batches, "batch", "batches");
  return (
    `lines 1–${totals.lastLine} (${formatCount(totals.records, "record")} in ${batches}) ` +
    "were imported and stay"
  );
}

/** One atomic batch; a record the store rejects, or a failed write, rolls back the whole batch. */
async function commitBatch(
  store: AnyStore,
  file: string,
  batch: ImportRecord[],
  totals: ImportTotals,
) {
  const first = batch[0]?.line ?? 0;
  const last = batch[batch.length - 1]?.line ?? first;
  let rejected: ImportRecord | undefined;
  try {
    await store.batch(() => {
      for (const record of batch) {
        rejected = record;
        store.set(record.id, record.value);
      }
      rejected = undefined;
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const code = error instanceof OpslogError ? error.code : "OPSLOG_IO";
    // A rejected record stops the batch before any write; a failed write leaves the batch
    // wholly stored or wholly absent (SPEC §2.2), and which one is not always knowable.
    const message = rejected
      ? `${reason}; ${importedSoFar(totals)}; nothing from line ${first} on was applied`
      : `the batch of lines ${first}–${last} failed (${reason}); ${importedSoFar(totals)}; ` +
        `that batch is stored whole or not at all, and nothing after line ${last} was applied`;
    throw new BadLineError(file, rejected?.line ?? first, message, code, totals.records);
  }
  totals.records += batch.length;
  totals.batches++;
  totals.lastLine = last;
}

/** Pass 2: the records in batches of `batchRecords`, each batch one atomic disk write. */
export async function applyFile(
  store: AnyStore,
  file: string,
  bytes: number,
  batchRecords: number,
  force: boolean,
) {
  const totals: ImportTotals = { records: 0, batches: 0, lastLine: 0 };
  const bar = progressBar("importing", bytes, force);
  const progress = { bytes: 0 };
  let batch: ImportRecord[] = [];
  for await (const record of readImportFile(file, progress)) {
    batch.push(record);
    if (batch.length < batchRecords) continue;
    await commitBatch(store, file, batch, totals);
    bar.update(progress.bytes);
    batch = [];
  }
  if (batch.length > 0) await commitBatch(store, file, batch, totals);
  bar.finish();
  return totals;
}

export const importCommand: Command = {
  name: "import",
  summary: 'set records from a JSON Lines file of {"id","value"} objects, in batches',
  usage: ["import <dir> <file> [--batch-size n] [--progress] [--json]"],
  details: [
    'Each non-blank line must be a JSON object with a non-empty string "id" and a "value" ' +
      "(other members are ignored); blank lines are skipped. The directory is created if missing.",
    "Two passes. First every line is checked, with the store's own rules for ids and values: " +
      "a bad line is reported with its line number and nothing is imported at all (exit 1). " +
      "Then the records are set in batches of --batch-size (default 1000), each batch atomic. " +
      "Should a batch still fail (an I/O error, a full disk), the batches before it stay " +
      "imported, that batch is stored whole or not at all (a failed disk write may or may not " +
      "have reached the disk; the store never keeps half a batch), nothing after it is applied, " +
      "and the error names the lines and how many were imported. Importing the same file again " +
      "is safe: set overwrites.",
  ],
  options: {
    "batch-size": {
      type: "string",
      value: "n",
      description: `records per atomic batch (default ${defaultBatchRecords})`,
    },
    ...progressOption,
  },
  positionals: { min: 2, max: 2 },
  async run({ positionals, options, out }) {
    const [dir, file] = positionals as [string, string];
    const batchRecords =
      parseCount("batch-size", options.string("batch-size"), batchRecordsMax) ??
      defaultBatchRecords;
    const force = options.flag("progress");
    const bytes = await stat(file).then(
      (info) => info.size,
      () => {
        throw new CliError("OPSLOG_NOT_FOUND", `no file ${file} to import`, exitCodes.notFound);
      },
    );
    const records = await checkFile(file, bytes, force);
    const totals = await withWriteStore(dir, { create: true }, (store) =>
      applyFile(store, file, bytes, batchRecords, force),
    );
    if (totals.records !== records) throw new Error(`${file} changed while it was imported`);
    if (out.json)
      await out.jsonDocument({ file, imported: totals.records, batches: totals.batches });
    else
      await out.line(
        `imported ${formatCount(totals.records, "record")} in ` +
          `${formatCount(totals.batches, "batch", "batches")} from ${file}`,
      );
    return exitCodes.ok;
  },
};
